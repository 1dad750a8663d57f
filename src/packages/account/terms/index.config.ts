export default definePageConfig({ navigationBarTitleText: '会员隐私条款' })
