declare module 'jsbarcode/bin/barcodes/CODE128/CODE128_AUTO' {
  /** jsbarcode's Code 128 encoder with automatic code-set switching. */
  export default class CODE128 {
    constructor(data: string, options: Record<string, unknown>)
    valid(): boolean
    encode(): { text: string; data: string }
  }
}
