import qrcode from 'qrcode-generator'
import { gifDataUrl } from './gif'

/**
 * A QR code as a GIF data URL: `scale` pixels per module and the 4-module quiet
 * zone scanners need. Error correction M: sharp enough for a till scanner, small enough
 * for a ~50-character token.
 */
export function qrImage(text: string, scale = 6): { src: string; size: number } {
  const qr = qrcode(0, 'M')
  qr.addData(text, 'Byte')
  qr.make()
  const modules = qr.getModuleCount()
  const quiet = 4
  const size = (modules + quiet * 2) * scale
  const src = gifDataUrl(size, size, (x, y) => {
    const col = Math.floor(x / scale) - quiet
    const row = Math.floor(y / scale) - quiet
    return row >= 0 && col >= 0 && row < modules && col < modules && qr.isDark(row, col)
  })
  return { src, size }
}
