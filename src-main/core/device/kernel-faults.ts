/**
 * Kernel lines that mean the VPU or its driver is in trouble, as `grep -E` patterns for programs that watch
 * `dmesg` on the device themselves (detached jobs that must decide without the console). The console's own
 * classifier (monitor/kernel-classifier.ts) names the same faults for the live log.
 */

/** Faults that stop a bring-up at once: Oops, panic, RCU stall, too many sessions, a failed encoder/decoder open. */
export const KERNEL_FAULTS =
  'Internal error: Oops|Kernel panic|rcu: INFO: rcu_[a-z]+ (self-)?detected stall|too many sessions|failed to allocate (en|de)coder';

/** The above, plus the Rockchip MPP faults a health check counts: task timeouts and resets, IOMMU page faults. */
export const VPU_HEALTH_FAULTS = `${KERNEL_FAULTS}|mpp_task_timeout|processing time out|rk_iommu.*(page fault|fault)|mpp.*resetting`;
