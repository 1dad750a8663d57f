import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useState } from 'react'
import { getDevOpenid, setDevOpenid } from '../api/devIdentity'
import { forgetIntent } from '../launch/intent'
import { BUTTON } from '../lib/a11y'
import { ROUTES } from '../lib/routes'
import './DevIdentitySwitcher.css'

const PRESETS = [
  { id: 'dev_tester_a', name: '测试用户 A' },
  { id: 'dev_tester_b', name: '测试用户 B' },
  { id: 'dev_tester_c', name: '测试用户 C' },
]

/** Who the current dev identity is, without showing the id itself. */
export function identityLabel(openid: string): string {
  return PRESETS.find((p) => p.id === openid)?.name ?? `随机身份（尾号 ${openid.slice(-4)}）`
}

function randomOpenid(): string {
  const bytes = new Uint8Array(9)
  globalThis.crypto.getRandomValues(bytes)
  return `dev_${Array.from(bytes, (b) => (b % 36).toString(36)).join('')}`
}

/** H5 only: switch the browser's dev identity (the local runtime's stand-in for a WeChat user). */
export default function DevIdentitySwitcher() {
  const [current, setCurrent] = useState(getDevOpenid)

  const switchTo = (openid: string) => {
    setDevOpenid(openid)
    forgetIntent()
    setCurrent(openid)
    void Taro.reLaunch({ url: ROUTES.member })
  }

  return (
    <View className="dev-identity">
      <Text className="dev-identity__title">开发调试 · 切换测试身份</Text>
      <Text className="dev-identity__current">当前：{identityLabel(current)}</Text>
      <View className="dev-identity__options">
        {PRESETS.map((p) => (
          <Text key={p.id} className={`dev-identity__option ${p.id === current ? 'dev-identity__option--on' : ''}`} {...BUTTON} aria-pressed={p.id === current} onClick={() => switchTo(p.id)}>
            {p.name}
          </Text>
        ))}
        <Text className="dev-identity__option" {...BUTTON} onClick={() => switchTo(randomOpenid())}>
          新身份
        </Text>
      </View>
      <Text className="dev-identity__note">仅在浏览器开发版中显示，微信小程序中不存在此功能</Text>
    </View>
  )
}
