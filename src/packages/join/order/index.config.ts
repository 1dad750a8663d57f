export default definePageConfig({ navigationBarTitleText: '绑定订单' })
