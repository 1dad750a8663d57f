/**
 * A two-colour GIF encoder (black on white), for QR codes and barcodes drawn as
 * `data:` images: WeChat's <Image> and every browser show them, with no canvas.
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** Standard base64 (WeChat has no btoa). */
export function base64(bytes: ArrayLike<number>): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!
    const b = i + 1 < bytes.length ? bytes[i + 1]! : -1
    const c = i + 2 < bytes.length ? bytes[i + 2]! : -1
    const n = (a << 16) | ((b < 0 ? 0 : b) << 8) | (c < 0 ? 0 : c)
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + (b < 0 ? '=' : B64[(n >> 6) & 63]!) + (c < 0 ? '=' : B64[n & 63]!)
  }
  return out
}

/** LZW-compresses palette indices (0 or 1) into GIF image data sub-blocks, minimum code size 2. */
function lzw(pixels: Uint8Array): number[] {
  const minCodeSize = 2
  const clear = 1 << minCodeSize
  const end = clear + 1
  const out: number[] = []
  let bitBuffer = 0
  let bitCount = 0
  let codeSize = minCodeSize + 1
  let next = end + 1
  let table = new Map<number, number>()

  const emit = (code: number) => {
    bitBuffer |= code << bitCount
    bitCount += codeSize
    while (bitCount >= 8) {
      out.push(bitBuffer & 0xff)
      bitBuffer >>>= 8
      bitCount -= 8
    }
  }

  emit(clear)
  let prefix = pixels[0] ?? 0
  for (let i = 1; i < pixels.length; i++) {
    const k = pixels[i]!
    const key = (prefix << 8) | k
    const found = table.get(key)
    if (found !== undefined) {
      prefix = found
      continue
    }
    emit(prefix)
    if (next === 4096) {
      emit(clear)
      table = new Map()
      next = end + 1
      codeSize = minCodeSize + 1
    } else {
      if (next >= 1 << codeSize) codeSize++
      table.set(key, next++)
    }
    prefix = k
  }
  emit(prefix)
  emit(end)
  if (bitCount > 0) out.push(bitBuffer & 0xff)

  const blocks: number[] = [minCodeSize]
  for (let i = 0; i < out.length; i += 255) {
    const chunk = out.slice(i, i + 255)
    blocks.push(chunk.length, ...chunk)
  }
  blocks.push(0)
  return blocks
}

/** A GIF of `width`×`height` where `dark(x, y)` pixels are black, as a data URL. */
export function gifDataUrl(width: number, height: number, dark: (x: number, y: number) => boolean): string {
  const pixels = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels[y * width + x] = dark(x, y) ? 1 : 0
  const le = (n: number) => [n & 0xff, (n >> 8) & 0xff]
  const bytes = [
    ...[0x47, 0x49, 0x46, 0x38, 0x39, 0x61], // GIF89a
    ...le(width), ...le(height), 0x80, 0, 0, // global colour table of 2 entries
    0xff, 0xff, 0xff, 0x00, 0x00, 0x00, // white, black
    0x2c, 0, 0, 0, 0, ...le(width), ...le(height), 0, // image descriptor
    ...lzw(pixels),
    0x3b,
  ]
  return `data:image/gif;base64,${base64(bytes)}`
}
