/** Runs async sections one at a time, in arrival order. */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<R>(section: () => Promise<R>): Promise<R> {
    const result = this.tail.then(section, section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
