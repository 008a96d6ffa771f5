/** Said wherever a microVM pod's isolation shows (status, describe, doctor) when QEMU runs without KVM. */
export const TCG_NOTE = 'software emulation: a VM boundary without hardware acceleration';
