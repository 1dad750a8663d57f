export default definePageConfig({ navigationBarTitleText: '关联门店会员卡' })
