import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * WeChat's privacy rules for the mini-program (《小程序隐私保护指引》): a privacy interface runs only
 * once the consumer has agreed to the guideline. The join step's phone button agrees with its own
 * tap (open-type agreePrivacyAuthorization), so the page must tell the consumer and offer the
 * guideline (openPrivacyContract). No privacy interface is called anywhere else, which is why the
 * app registers no onNeedPrivacyAuthorization: with none registered WeChat shows its own privacy
 * popup should one be added, whereas registering one would leave every such call waiting on a popup
 * of ours.
 */
const SRC = join(__dirname, '../../src')

function sources(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return /\.tsx?$/.test(entry.name) ? [{ path: path.slice(SRC.length + 1), text: readFileSync(path, 'utf8') }] : []
  })
}

// the interfaces and components WeChat's guideline lists, as Taro spells them
const PRIVACY_APIS = [
  'getUserProfile', 'getUserInfo', 'authorize', 'getLocation', 'getFuzzyLocation', 'startLocationUpdate', 'startLocationUpdateBackground',
  'choosePoi', 'chooseLocation', 'chooseAddress', 'chooseInvoice', 'chooseInvoiceTitle', 'getWeRunData', 'chooseLicensePlate',
  'chooseImage', 'chooseMedia', 'chooseVideo', 'chooseMessageFile', 'startRecord', 'getRecorderManager', 'joinVoIPChat',
  'createVKSession', 'createCameraContext', 'openBluetoothAdapter', 'createBLEPeripheralServer', 'saveImageToPhotosAlbum',
  'saveVideoToPhotosAlbum', 'addPhoneContact', 'addPhoneCalendar', 'addPhoneRepeatCalendar', 'getClipboardData', 'setClipboardData',
]
const PRIVACY_OPEN_TYPES = ['getPhoneNumber', 'getRealtimePhoneNumber', 'chooseAvatar', 'getUserInfo']

describe('WeChat privacy guideline', () => {
  const files = sources(SRC)

  it('calls no privacy interface outside a button (so no onNeedPrivacyAuthorization is needed)', () => {
    const calls = files.flatMap(({ path, text }) => PRIVACY_APIS.filter((api) => new RegExp(`\\b(Taro|wx)\\.${api}\\b`).test(text)).map((api) => `${path}: ${api}`))
    expect(calls).toEqual([])
    const components = files.filter(({ text }) => /<(Camera|LivePusher|VoipRoom)\b|type=["']nickname["']/.test(text)).map(({ path }) => path)
    expect(components).toEqual([])
    expect(files.filter(({ text }) => /onNeedPrivacyAuthorization/.test(text))).toEqual([])
  })

  it('every button for a privacy interface agrees to the guideline, and its page offers the guideline', () => {
    const buttons = files.flatMap(({ path, text }) => [...text.matchAll(/openType="([^"]+)"/g)].map((m) => ({ path, text, types: m[1]!.split('|') })))
    const privacy = buttons.filter(({ types }) => types.some((t) => PRIVACY_OPEN_TYPES.includes(t)))
    expect(privacy.map(({ path }) => path)).toEqual(['packages/join/PhoneStep.tsx'])
    for (const { path, text, types } of privacy) {
      expect({ path, types }).toEqual({ path, types: expect.arrayContaining(['agreePrivacyAuthorization']) })
      expect({ path, opens: /Taro\.openPrivacyContract\(/.test(text) }).toEqual({ path, opens: true })
    }
  })
})
