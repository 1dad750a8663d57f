export default definePageConfig({
  navigationBarTitleText: '会员中心',
  // 转发 in the ··· menu (useInviteShare): a friend gets the home page and a picture, not this page
  enableShareAppMessage: true,
})
