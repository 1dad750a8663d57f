import { Input, Picker, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { Button } from '@nutui/nutui-react-taro'
import { useState } from 'react'
import type { ProfileResult } from '../../../cloudfunctions/core/contracts'
import { hasUnprintable, isDisplayableName, NICKNAME_MAX_UNITS, userCharacters } from '../../../cloudfunctions/core/contracts/text'
import { callFunction, errorDetails, toApiError } from '../../api'
import { fieldLabel, liveRegion } from '../../lib/a11y'
import { formatDay } from '../../lib/format'

/** As member.updateProfile allows, in characters as the consumer sees them (an emoji is one). */
const NICKNAME_MAX = 20
const characters = (text: string) => userCharacters(text).length

const today = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)

/** Nickname (any time) and birthday (once), saved with member.updateProfile. */
/** `locked`: the member's consent is to earlier terms, and the server keeps no personal data until they agree again. */
export default function Profile({ profile, onSaved, locked = false }: { profile: ProfileResult; onSaved: (next: ProfileResult) => void; locked?: boolean }) {
  const [nickname, setNickname] = useState(profile.nickname ?? '')
  const [birthday, setBirthday] = useState(profile.birthday ?? '')
  const [saving, setSaving] = useState(false)
  const [message, setMessage] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null)

  // The box counts UTF-16 units (an emoji two) and reckons its limit against what it holds before
  // an edit, so a limit of 20 characters there cut short a name pasted over a full one: the box
  // takes the server's longest, and what goes past 20 characters (pasted, or an IME committing a
  // word) is cut back to 20 below, saying so.
  const count = characters(nickname)
  // "已保存" is about what was saved: an edit after it is not
  const edit = <T,>(set: (value: T) => void) => (value: T) => {
    set(value)
    setMessage(null)
  }
  const typeNickname = (value: string) => {
    edit(setNickname)(value)
    if (characters(value) <= NICKNAME_MAX) return
    // shown as typed first: a mini-program's input keeps what it shows unless the bound value changes
    setTimeout(() => {
      setNickname(userCharacters(value).slice(0, NICKNAME_MAX).join(''))
      setMessage({ tone: 'error', text: `昵称最多 ${NICKNAME_MAX} 个字，超出的部分已去掉` })
    })
  }
  const changed = nickname.trim() !== (profile.nickname ?? '') || (birthday !== '' && birthday !== (profile.birthday ?? ''))
  const save = async () => {
    const name = nickname.trim()
    // checked only when edited: a nickname kept as saved is not sent (one saved before a rule
    // tightened must not stop the birthday from being saved)
    const renamed = name !== (profile.nickname ?? '')
    if (renamed && characters(name) > NICKNAME_MAX) {
      setMessage({ tone: 'error', text: `昵称最多 ${NICKNAME_MAX} 个字` })
      return
    }
    if (renamed && name.length > NICKNAME_MAX_UNITS) {
      setMessage({ tone: 'error', text: '昵称过长，请减少表情或符号' })
      return
    }
    if (renamed && name && !isDisplayableName(name)) {
      setMessage({ tone: 'error', text: hasUnprintable(name) ? '昵称含有无法显示的特殊字符（如换行或文字方向控制符），请删除后再保存' : '昵称需包含可见文字' })
      return
    }
    const settingBirthday = birthday !== '' && !profile.birthday
    // the birthday cannot be changed once saved: a stray tap on the picker's 确定 must not lock it in
    if (settingBirthday) {
      const answer = await Taro.showModal({ title: '确认生日', content: `生日保存后不能修改，确认是 ${formatDay(birthday)} 吗？`, confirmText: '确认', cancelText: '再看看' })
      if (!answer.confirm) return
    }
    setSaving(true)
    setMessage(null)
    try {
      const next = await callFunction('member', 'updateProfile', {
        // an emptied nickname is cleared
        ...(renamed ? { nickname: name || null } : {}),
        ...(settingBirthday ? { birthday } : {}),
      })
      onSaved(next)
      // the box shows what was saved: trimmed, or empty (with its placeholder) once cleared
      setNickname(next.nickname ?? '')
      setMessage({ tone: 'ok', text: '已保存' })
      void Taro.showToast({ title: '已保存', icon: 'success' })
    } catch (error) {
      const failure = toApiError(error)
      const { reason, birthday: saved } = errorDetails(failure)
      if (failure.code === 'FORBIDDEN' && reason === 'birthday_set' && typeof saved === 'string') {
        // saved before (an answer lost on a weak signal, or another device): the card shows that one,
        // and the rest of this save (a new nickname) waits for another tap
        onSaved({ ...profile, birthday: saved })
        setBirthday(saved)
        setMessage({ tone: 'error', text: `生日已设置为 ${formatDay(saved)}，不能修改${renamed ? '；昵称尚未保存，请再点「保存资料」' : ''}` })
      } else {
        setMessage({ tone: 'error', text: failure.message })
      }
    } finally {
      setSaving(false)
    }
  }

  return (
    <View className="mine-card">
      <View className="mine-row">
        <Text className="mine-row__label">手机号</Text>
        <Text className="mine-row__value">{profile.phoneMasked ?? '未绑定'}</Text>
      </View>
      <View className="mine-row">
        <Text className="mine-row__label">昵称</Text>
        <Input placeholderClass="mc-placeholder" className="mine-row__input" value={nickname} maxlength={NICKNAME_MAX_UNITS} placeholder="填写昵称" {...fieldLabel('昵称')} disabled={saving} onInput={(e) => typeNickname(e.detail.value)} />
        {/* the field stops taking characters at the limit: the count says why. A name at its limit is
            not wrong (neutral, as NutUI's counters stay); red only for what goes past it, until cut back */}
        <Text className={`mine-row__count ${count > NICKNAME_MAX ? 'mine-row__count--over' : ''}`}>{count}/{NICKNAME_MAX}</Text>
      </View>
      <View className="mine-row">
        <Text className="mine-row__label">生日</Text>
        {profile.birthday ? (
          <Text className="mine-row__value">{formatDay(profile.birthday)}</Text>
        ) : (
          <Picker className="mine-row__picker" mode="date" value={birthday || '1995-01-01'} start="1900-01-01" end={today()} onChange={(e) => edit(setBirthday)(String(e.detail.value))}>
            <Text className={`mine-row__value ${birthday ? '' : 'mine-row__value--placeholder'}`}>{birthday ? formatDay(birthday) : '选择生日（仅可设置一次）'}</Text>
          </Picker>
        )}
      </View>
      {message && <Text className={`mine-message mine-message--${message.tone}`} {...liveRegion(message.tone === 'ok' ? 'status' : 'alert')}>{message.text}</Text>}
      {locked && <Text className="mine-message">同意新版会员隐私条款后可修改资料</Text>}
      <Button type="primary" shape="round" block className="mine-save" disabled={locked || !changed || saving} loading={saving} onClick={save}>
        保存资料
      </Button>
    </View>
  )
}
