// Small builders shared by the bundle tests.

import type { ImageConfig } from '../../../engine/image/types';
import type { BundleInput, ContainerSpec, PodFacts } from '../../../engine/image/bundle';

export const POD: PodFacts = { name: 'web', namespace: 'shop', uid: '2b1e4c1a-0000-4000-8000-000000000001' };

export function image(config: NonNullable<ImageConfig['config']> = {}): ImageConfig {
  return { architecture: 'amd64', os: 'linux', config };
}

export function input(container: Partial<ContainerSpec> = {}, rest: Partial<BundleInput> = {}): BundleInput {
  return {
    image: image({ Entrypoint: ['/bin/app'], Cmd: ['--serve'] }),
    container: { name: 'app', ...container },
    pod: POD,
    cgroupsPath: '/podsmith/web/app',
    ...rest,
  };
}

export const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  '# a comment line',
  'app:x:1000:1000:App:/home/app:/bin/sh',
  'svc:x:1001:1001::/srv:/bin/false',
  'broken line',
  '',
].join('\n');

export const GROUP = [
  'root:x:0:',
  'wheel:x:10:app,svc',
  'staff:x:50:',
  'app:x:1000:app',
  'svc:x:1001:',
  'video:x:44:app',
  '',
].join('\n');
