/**
 * A wall clock for running times and ages ("REC 12:34", "last seen 14 s ago"), ticking once a second only while
 * something on screen uses it.
 */
class Ticker {
  now = $state(Date.now());
  private users = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  /** Start ticking for one user; call the result when that user goes away. For `$effect(() => clock.use())`. */
  use(): () => void {
    this.users++;
    if (this.users === 1) {
      this.now = Date.now();
      this.timer = setInterval(() => (this.now = Date.now()), 1000);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users--;
      if (this.users === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }
}

export const clock = new Ticker();
