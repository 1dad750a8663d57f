import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import Taro from '@tarojs/taro'
import MinePage from '../../../src/pages/mine/index'
import DevIdentitySwitcher from '../../../src/components/DevIdentitySwitcher.h5'
import { JOINED, VISITOR, callsOf, mockApi, resetAll } from '../support/api'

const PROFILE = { data: { memberId: 'm_1', nickname: '小王', birthday: null, phoneMasked: '139****1234' } }

beforeEach(resetAll)

describe('我的', () => {
  it('shows the profile with the masked phone and saves a new nickname and birthday', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'member.updateProfile': (e) => ({ data: { ...PROFILE.data, nickname: e.nickname, birthday: e.birthday } }) })
    render(<MinePage />)
    expect(await screen.findByText('139****1234')).toBeTruthy()
    fireEvent.change(screen.getByPlaceholderText('填写昵称'), { target: { value: '小李' } })
    fireEvent.change(screen.getByLabelText('picker'), { target: { value: '1990-05-01' } })
    fireEvent.click(screen.getByText('保存资料'))
    await waitFor(() => expect(callsOf('member', 'updateProfile')[0]?.event).toMatchObject({ nickname: '小李', birthday: '1990-05-01' }))
    expect(await screen.findByText('已保存')).toBeTruthy()
    expect(screen.getByText('1990年5月1日')).toBeTruthy()
    // an edit after saving is not saved: the word goes until it is
    fireEvent.change(screen.getByPlaceholderText('填写昵称'), { target: { value: '小张' } })
    expect(screen.queryByText('已保存')).toBeNull()
  })

  it('saves a birthday beside a nickname saved before the length rule tightened, sending only the birthday', async () => {
    const family = '👨\u200d👩\u200d👧\u200d👦'.repeat(11) // 11 characters, 121 UTF-16 units
    mockApi({ 'member.login': JOINED, 'member.profile': { data: { ...PROFILE.data, nickname: family } }, 'member.updateProfile': (e) => ({ data: { ...PROFILE.data, nickname: family, birthday: e.birthday } }) })
    render(<MinePage />)
    expect(await screen.findByText('139****1234')).toBeTruthy()
    fireEvent.change(screen.getByLabelText('picker'), { target: { value: '1990-05-01' } })
    fireEvent.click(screen.getByText('保存资料'))
    await waitFor(() => expect(callsOf('member', 'updateProfile')[0]?.event).toEqual({ action: 'updateProfile', birthday: '1990-05-01' }))
  })

  it('does not say 已保存 under a birthday picked after the nickname was saved', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'member.updateProfile': (e) => ({ data: { ...PROFILE.data, nickname: e.nickname } }) })
    render(<MinePage />)
    fireEvent.change(await screen.findByPlaceholderText('填写昵称'), { target: { value: '小李' } })
    fireEvent.click(screen.getByText('保存资料'))
    expect(await screen.findByText('已保存')).toBeTruthy()
    fireEvent.change(screen.getByLabelText('picker'), { target: { value: '1990-05-01' } })
    expect(screen.queryByText('已保存')).toBeNull()
  })

  it('asks before a birthday is saved for good, and sends nothing if the consumer looks again', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'member.updateProfile': (e) => ({ data: { ...PROFILE.data, birthday: e.birthday } }) })
    render(<MinePage />)
    fireEvent.change(await screen.findByLabelText('picker'), { target: { value: '1990-05-01' } })
    ;(Taro.showModal as jest.Mock).mockResolvedValueOnce({ confirm: false, cancel: true })
    fireEvent.click(screen.getByText('保存资料'))
    await waitFor(() => expect(Taro.showModal).toHaveBeenCalledWith(expect.objectContaining({ content: '生日保存后不能修改，确认是 1990年5月1日 吗？' })))
    expect(callsOf('member', 'updateProfile')).toHaveLength(0)
    fireEvent.click(screen.getByText('保存资料'))
    await waitFor(() => expect(callsOf('member', 'updateProfile')[0]?.event).toEqual({ action: 'updateProfile', birthday: '1990-05-01' }))
  })

  it('counts the nickname against its 20-character limit, since the field stops taking characters there', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE })
    render(<MinePage />)
    expect(await screen.findByText('2/20')).toBeTruthy()
    fireEvent.change(screen.getByPlaceholderText('填写昵称'), { target: { value: '一二三四五六七八九十一二三四五六七八九十' } })
    // a name at its limit is not wrong: the count stays neutral there (red read as an error)
    expect(screen.getByText('20/20').className).not.toMatch(/mine-row__count--/)
  })

  it('shows the count in red only past the limit, until the name is cut back to 20', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE })
    render(<MinePage />)
    fireEvent.change(await screen.findByPlaceholderText('填写昵称'), { target: { value: `${'一'.repeat(18)}上海南京` } })
    expect(screen.getByText('22/20').className).toContain('mine-row__count--over')
    expect((await screen.findByText('20/20')).className).not.toMatch(/mine-row__count--/)
  })

  it('counts an emoji as one character, as the consumer sees it, and says why a nickname of invisible characters is refused', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE })
    render(<MinePage />)
    const box = (await screen.findByPlaceholderText('填写昵称')) as HTMLInputElement
    fireEvent.change(box, { target: { value: '🌸小美🌸' } })
    expect(screen.getByText('4/20')).toBeTruthy()
    // the box takes 20 of them, whatever their length in UTF-16, also pasted over a full name
    fireEvent.change(box, { target: { value: '一'.repeat(20) } })
    const pasted = `🎉小明😀${'一二三四五'.repeat(2)}的店🌸`
    expect(pasted.length).toBeLessThanOrEqual(box.maxLength)
    fireEvent.change(box, { target: { value: pasted } })
    expect(screen.getByText('17/20')).toBeTruthy()
    const twenty = `🌸${'一二三四五六七八九'.repeat(2)}🌸`
    expect(twenty.length).toBeLessThanOrEqual(box.maxLength)
    fireEvent.change(box, { target: { value: twenty } })
    expect(screen.getByText('20/20')).toBeTruthy()
    // past 20 (an IME committing a word at 18): cut back to 20 characters, saying so
    fireEvent.change(box, { target: { value: `${'一'.repeat(18)}上海南京` } })
    await waitFor(() => expect(box.value).toBe(`${'一'.repeat(18)}上海`))
    expect(screen.getByText('20/20')).toBeTruthy()
    expect(screen.getByText('昵称最多 20 个字，超出的部分已去掉')).toBeTruthy()
    fireEvent.change(box, { target: { value: '\u200b\u200b' } })
    fireEvent.click(screen.getByText('保存资料'))
    expect(await screen.findByText('昵称需包含可见文字')).toBeTruthy()
    // visible letters around a direction override: the character is named, not the letters
    fireEvent.change(box, { target: { value: 'a\u202eb' } })
    fireEvent.click(screen.getByText('保存资料'))
    expect(await screen.findByText('昵称含有无法显示的特殊字符（如换行或文字方向控制符），请删除后再保存')).toBeTruthy()
    expect(callsOf('member', 'updateProfile')).toHaveLength(0)
  })

  it('a member whose consent is to earlier terms sees their profile, and saves it only once they agree again', async () => {
    mockApi({ 'member.login': { data: { ...JOINED.data, consented: false, termsVersion: '2026-12-05' } }, 'member.profile': PROFILE })
    render(<MinePage />)
    expect(await screen.findByText('会员隐私条款已更新')).toBeTruthy()
    expect(await screen.findByText('同意新版会员隐私条款后可修改资料')).toBeTruthy()
    fireEvent.change(screen.getByPlaceholderText('填写昵称'), { target: { value: '小李' } })
    expect(screen.getByText('保存资料').closest('button')?.className).toContain('nut-button-disabled')
  })

  it('clears an emptied nickname instead of keeping it', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'member.updateProfile': () => ({ data: { ...PROFILE.data, nickname: null } }) })
    render(<MinePage />)
    fireEvent.change(await screen.findByPlaceholderText('填写昵称'), { target: { value: '  ' } })
    fireEvent.click(screen.getByText('保存资料'))
    await waitFor(() => expect(callsOf('member', 'updateProfile')[0]?.event).toEqual({ action: 'updateProfile', nickname: null }))
    // the spaces go too, and the placeholder shows again
    await waitFor(() => expect((screen.getByPlaceholderText('填写昵称') as HTMLInputElement).value).toBe(''))
    expect(screen.getByText('0/20')).toBeTruthy()
    expect(Taro.showModal).not.toHaveBeenCalled()
    expect(await screen.findByText('已保存')).toBeTruthy()
  })

  it('shows the reason when saving fails', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'member.updateProfile': { error: 'FORBIDDEN' } })
    render(<MinePage />)
    fireEvent.change(await screen.findByPlaceholderText('填写昵称'), { target: { value: '小李' } })
    fireEvent.click(screen.getByText('保存资料'))
    expect(await screen.findByText('没有权限进行此操作')).toBeTruthy()
  })

  it('shows the birthday saved already when the server refuses another (an earlier answer lost, or another device), and that the nickname waits', async () => {
    mockApi({
      'member.login': JOINED, 'member.profile': PROFILE,
      'member.updateProfile': { error: 'FORBIDDEN', details: { details: { reason: 'birthday_set', birthday: '1990-05-01' } } },
    })
    render(<MinePage />)
    fireEvent.change(await screen.findByPlaceholderText('填写昵称'), { target: { value: '小李' } })
    fireEvent.change(screen.getByLabelText('picker'), { target: { value: '1990-05-02' } })
    fireEvent.click(screen.getByText('保存资料'))
    expect(await screen.findByText('生日已设置为 1990年5月1日，不能修改；昵称尚未保存，请再点「保存资料」')).toBeTruthy()
    expect(screen.queryByText('没有权限进行此操作')).toBeNull()
    // the card shows the saved birthday, no picker, and the nickname is saved with another tap
    expect(screen.getByText('1990年5月1日')).toBeTruthy()
    expect(screen.queryByLabelText('picker')).toBeNull()
    expect(screen.getByDisplayValue('小李')).toBeTruthy()
  })

  it('deletes my data only after confirmation naming the points it forfeits, with confirm: true', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { data: { available: 12399 } }, 'member.delete': { data: { deleted: true } } })
    render(<MinePage />)
    ;(Taro.showModal as jest.Mock).mockResolvedValueOnce({ confirm: false, cancel: true })
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(Taro.showModal).toHaveBeenCalledTimes(1))
    expect((Taro.showModal as jest.Mock).mock.calls[0][0].content).toContain('您现有的 12,399\u00a0积分（含天猫、门店带来的积分）将一并清零')
    expect(callsOf('member', 'delete')).toHaveLength(0)
    fireEvent.click(screen.getByText('删除我的数据'))
    await waitFor(() => expect(callsOf('member', 'delete')[0]?.event).toEqual({ action: 'delete', confirm: true }))
  })

  it('still warns that the points go when the balance cannot be read for the deletion dialog', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { error: 'UNAVAILABLE' } })
    render(<MinePage />)
    ;(Taro.showModal as jest.Mock).mockResolvedValueOnce({ confirm: false, cancel: true })
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(Taro.showModal).toHaveBeenCalledTimes(1))
    expect((Taro.showModal as jest.Mock).mock.calls[0][0].content).toContain('您现有的积分（含天猫、门店带来的积分）将一并清零')
    expect(callsOf('member', 'delete')).toHaveLength(0)
  })

  it('ignores a second tap while the balance for the deletion dialog is read', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { pending: true } })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('删除我的数据'))
    fireEvent.click(await screen.findByText('请稍候…'))
    expect(callsOf('points', 'summary')).toHaveLength(1)
    expect(Taro.showModal).not.toHaveBeenCalled()
  })

  it('says 已删除 when the deletion went through but its answer was lost, as a check of the membership then shows', async () => {
    let deleted = false
    mockApi({
      'member.login': () => (deleted ? VISITOR : JOINED), 'member.profile': PROFILE, 'points.summary': { data: { available: 100 } },
      'member.delete': () => {
        deleted = true
        return { error: 'UNAVAILABLE' }
      },
    })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalledWith({ title: '已删除', icon: 'success' }))
    expect((Taro.showModal as jest.Mock).mock.calls.map(([o]) => o.title)).toEqual(['删除我的数据'])
    expect(await screen.findByText('入会后可管理个人资料')).toBeTruthy()
  })

  it('says neither 失败 nor 已删除 when no answer came and the membership cannot be checked either, and what to do', async () => {
    let deleting = false
    mockApi({
      'member.login': () => (deleting ? { error: 'UNAVAILABLE' } : JOINED), 'member.profile': PROFILE, 'points.summary': { data: { available: 100 } },
      'member.delete': () => {
        deleting = true
        return { error: 'UNAVAILABLE' }
      },
    })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(Taro.showModal).toHaveBeenCalledTimes(2))
    const shown = (Taro.showModal as jest.Mock).mock.calls[1][0]
    expect(shown.title).toBe('未能确认是否已删除')
    expect(shown.content).toContain('如仍显示您的资料，请再点「删除我的数据」')
    expect(Taro.showToast).not.toHaveBeenCalled()
    // nothing left spinning: the link can be tapped again
    expect(await screen.findByText('删除我的数据')).toBeTruthy()
  })

  it('says 已删除 when the deletion failed inside (INTERNAL) after it went through, as a check of the membership then shows', async () => {
    let deleted = false
    mockApi({
      'member.login': () => (deleted ? VISITOR : JOINED), 'member.profile': PROFILE, 'points.summary': { data: { available: 100 } },
      'member.delete': () => {
        deleted = true
        return { error: 'INTERNAL' }
      },
    })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(Taro.showToast).toHaveBeenCalledWith({ title: '已删除', icon: 'success' }))
    expect((Taro.showModal as jest.Mock).mock.calls.map(([o]) => o.title)).toEqual(['删除我的数据'])
  })

  it('says 删除失败 with the reason of a deletion the service refused, without asking whether it went through', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { data: { available: 100 } }, 'member.delete': { error: 'CONFLICT' } })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(Taro.showModal).toHaveBeenCalledTimes(2))
    const logins = callsOf('member', 'login').length
    expect((Taro.showModal as jest.Mock).mock.calls[1][0]).toMatchObject({ title: '删除失败', content: '当前请求较多，请稍后再试' })
    // the membership was read once, to draw the page: a refusal needs no second look
    expect(logins).toBe(1)
  })

  it('says 删除失败 when the deletion got no answer and the member is still there', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { data: { available: 100 } }, 'member.delete': { error: 'UNAVAILABLE' } })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(Taro.showModal).toHaveBeenCalledTimes(2))
    expect((Taro.showModal as jest.Mock).mock.calls[1][0]).toMatchObject({ title: '删除失败', content: '网络不给力，服务暂时无法连接，请稍后再试' })
    expect(Taro.showToast).not.toHaveBeenCalled()
  })

  it('a deletion refused as CONFLICT (the account busy meanwhile) says to try again later, not to refresh a page that has no refresh', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': PROFILE, 'points.summary': { data: { available: 100 } }, 'member.delete': { error: 'CONFLICT' } })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('删除我的数据'))
    await waitFor(() => expect(Taro.showModal).toHaveBeenCalledTimes(2))
    expect((Taro.showModal as jest.Mock).mock.calls[1][0]).toMatchObject({ title: '删除失败', content: '当前请求较多，请稍后再试' })
  })

  it('offers the terms to a visitor but no profile or deletion', async () => {
    mockApi({ 'member.login': VISITOR })
    render(<MinePage />)
    fireEvent.click(await screen.findByText('会员隐私条款'))
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/account/terms/index' })
    expect(screen.queryByText('删除我的数据')).toBeNull()
    expect(screen.queryByText('开发调试 · 切换测试身份')).toBeNull() // not the H5 build
  })

  it('shows the profile error state', async () => {
    mockApi({ 'member.login': JOINED, 'member.profile': { error: 'UNAVAILABLE' } })
    render(<MinePage />)
    expect(await screen.findByText('个人资料暂时无法加载')).toBeTruthy()
  })
})

describe('H5 dev identity switcher', () => {
  it('names identities without showing the id and switches the browser to another one', () => {
    window.localStorage.setItem('mc.devOpenid', 'dev_tester_a')
    const { container } = render(<DevIdentitySwitcher />)
    expect(screen.getByText('当前：测试用户 A')).toBeTruthy()
    expect(container.textContent).not.toContain('dev_tester_a')
    fireEvent.click(screen.getByText('测试用户 B'))
    expect(window.localStorage.getItem('mc.devOpenid')).toBe('dev_tester_b')
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/member/index' })
    fireEvent.click(screen.getByText('新身份'))
    expect(window.localStorage.getItem('mc.devOpenid')).toMatch(/^dev_[0-9a-z]{9}$/)
  })
})
