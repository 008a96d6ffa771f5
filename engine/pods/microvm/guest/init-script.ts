// The guest's boot scripts, kept in the initramfs. Stage 1 (/init) loads the kernel modules in dependency
// order, then moves to a tmpfs root: runc's pivot_root cannot leave the initramfs' rootfs. Stage 2 (/init2,
// still PID 1, so it reaps orphans as a shell does) mounts the read-only tools image (Node, runc and their
// libraries, on /dev/vda), cgroup2, /dev/pts, and runs the agent in the foreground. When the agent ends, for
// whatever reason, the VM powers off, so QEMU exits and the host sees it: a guest without its agent is never
// left running. `podsmith.mode=floor` (the bench's floor and the boot probe) stops after stage 1's modules:
// it writes `ready` to the agent port and waits (floor) or powers off (probe). `podsmith.mode=template` boots
// as `run` does; the agent then knows it may be saved and cloned (template.ts).

export const AGENT_PORT_NAME = 'agent';
/** Printed on the console by the boot probe once the guest runs its /init. */
export const PROBE_MARKER = 'podsmith-probe-ok';

export const STAGE1 = `#!/bin/busybox sh
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t devtmpfs dev /dev
$B mount -t sysfs sys /sys
for m in $($B cat /mods/order); do $B insmod /mods/$m.ko || echo "podsmith-init: cannot load module $m" > /dev/console; done
mode=run
for a in $($B cat /proc/cmdline); do case "$a" in podsmith.mode=*) mode="\${a#podsmith.mode=}";; esac; done
if [ "$mode" != run ] && [ "$mode" != template ]; then
  port=
  for p in /sys/class/virtio-ports/*; do [ "$($B cat $p/name 2>/dev/null)" = ${AGENT_PORT_NAME} ] && port=/dev/\${p##*/}; done
  echo ${PROBE_MARKER} > /dev/console
  [ -n "$port" ] && echo ready > $port
  [ "$mode" = floor ] && while :; do $B sleep 3600; done
  $B poweroff -f
fi
$B mount -t tmpfs -o mode=0755 root /newroot
for d in bin etc agent; do $B cp -a /$d /newroot/; done
$B cp -a /init2 /newroot/init2
for d in proc sys dev tmp run tools mnt; do $B mkdir -p /newroot/$d; done
$B ln -s tools/lib /newroot/lib
$B ln -s tools/lib64 /newroot/lib64
$B ln -s tools/usr /newroot/usr
$B mount --move /proc /newroot/proc
$B mount --move /sys /newroot/sys
$B mount --move /dev /newroot/dev
exec $B switch_root /newroot /init2
echo "podsmith-init: switch_root failed" > /dev/console
$B poweroff -f
`;

export const STAGE2 = `#!/bin/busybox sh
B=/bin/busybox
export PATH=/bin:/usr/sbin:/usr/bin
$B mount -t squashfs -o ro /dev/vda /tools || echo "podsmith-init: cannot mount the tools image" > /dev/console
$B mount -t cgroup2 cgroup2 /sys/fs/cgroup
$B mount -t tmpfs -o mode=1777 tmp /tmp
$B mount -t tmpfs -o mode=0755 run /run
$B mkdir -p /dev/pts /dev/shm
$B mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
$B ln -sf pts/ptmx /dev/ptmx
$B mount -t tmpfs -o mode=1777 shm /dev/shm
$B ip link set lo up
NODE_PATH=/tools/node_modules /usr/bin/node /agent/agent.js
status=$?
echo "podsmith-init: the agent exited with status $status" > /dev/console
$B sync
$B poweroff -f
`;

/** What udhcpc runs on a lease: the address and default route of eth0 from passt's DHCP server. */
export const UDHCPC_SCRIPT = `#!/bin/busybox sh
B=/bin/busybox
case "$1" in
  deconfig) $B ip addr flush dev "$interface"; $B ip link set "$interface" up ;;
  bound|renew)
    $B ip addr flush dev "$interface"
    $B ip addr add "$ip/\${mask:-24}" dev "$interface"
    $B ip link set "$interface" up
    for r in $router; do $B ip route replace default via "$r" dev "$interface"; break; done
    : > /run/resolv.conf.dhcp
    for d in $dns; do echo "nameserver $d" >> /run/resolv.conf.dhcp; done
    echo "$ip" > /run/ip.dhcp
    ;;
esac
exit 0
`;
