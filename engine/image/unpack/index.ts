// Layers -> cached layer directories -> container rootfs. See rootfs.ts for the entry point.
export { createRootfs, removeRootfs, type CreateRootfsOptions, type Rootfs, type RootfsMethod } from './rootfs';
export { unpackImage, type UnpackOptions, type UnpackedImage, type UnpackedLayer } from './unpack-image';
export { DEFAULT_UNPACK_LIMITS, unpackLimits, type UnpackLimits } from './limits';
export { LayerError } from './errors';
export { overlaySupported } from './overlay';
export type { LayerMeta } from './layer-meta';
