import CODE128 from 'jsbarcode/bin/barcodes/CODE128/CODE128_AUTO'
import { gifDataUrl } from './gif'

/** The Code 128 bars of `text` ('1' = bar, '0' = space), with jsbarcode choosing the code sets. */
export function code128Bars(text: string): string {
  const encoder = new CODE128(text, {})
  if (!encoder.valid()) throw new Error('text cannot be encoded in Code 128')
  return encoder.encode().data
}

/** A Code 128 barcode as a GIF data URL, `scale` pixels per module, with a 10-module quiet zone each side. */
export function barcodeImage(text: string, scale = 2, height = 80): { src: string; width: number; height: number; modules: number } {
  const bars = code128Bars(text)
  const quiet = 10
  const modules = bars.length + quiet * 2
  const width = modules * scale
  const src = gifDataUrl(width, height, (x) => bars[Math.floor(x / scale) - quiet] === '1')
  return { src, width, height, modules }
}

/**
 * The widest display width (CSS px) up to `available` at which each module of the barcode is a
 * whole number of device pixels. Stretched to any other width, bars of one width come out one
 * pixel wider or narrower than each other, which a till's scanner may misread.
 */
export function crispWidth(available: number, modules: number, pixelRatio: number): number {
  const devicePixelsPerModule = Math.max(1, Math.floor((available * pixelRatio) / modules))
  return (devicePixelsPerModule * modules) / pixelRatio
}
