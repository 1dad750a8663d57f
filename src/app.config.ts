export default defineAppConfig({
  pages: ['pages/member/index', 'pages/points/index', 'pages/mine/index'],
  // Pages most consumers open rarely or once: loaded on demand, out of the main package.
  subPackages: [
    { root: 'packages/join', pages: ['index', 'landing/index', 'order/index'] },
    { root: 'packages/scan', pages: ['index'] },
    { root: 'packages/account', pages: ['terms/index', 'store-card/index'] },
  ],
  // The join flow and the scanner are a tap away from the home page: fetch them in the background.
  preloadRule: {
    'pages/member/index': { network: 'all', packages: ['packages/join', 'packages/scan'] },
  },
  window: {
    navigationBarTitleText: '会员中心',
    // in H5 too: Taro then draws the title bar with a back button, as WeChat does around the mini-program
    navigationStyle: 'default',
    navigationBarBackgroundColor: '#1f2a44',
    navigationBarTextStyle: 'white',
    backgroundColor: '#f5f3ef',
    backgroundTextStyle: 'dark',
  },
  tabBar: {
    // the labels of the tabs not shown: 4.5:1 on the white bar (#8e95a3 was 3.0)
    color: '#6e7482',
    selectedColor: '#1f2a44',
    backgroundColor: '#ffffff',
    borderStyle: 'white',
    list: [
      { pagePath: 'pages/member/index', text: '会员', iconPath: 'assets/tabbar/member.png', selectedIconPath: 'assets/tabbar/member-active.png' },
      { pagePath: 'pages/points/index', text: '积分', iconPath: 'assets/tabbar/points.png', selectedIconPath: 'assets/tabbar/points-active.png' },
      { pagePath: 'pages/mine/index', text: '我的', iconPath: 'assets/tabbar/mine.png', selectedIconPath: 'assets/tabbar/mine-active.png' },
    ],
  },
  // Inject only the components a page actually uses (WeChat code quality check).
  lazyCodeLoading: 'requiredComponents',
})
