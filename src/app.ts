import type { PropsWithChildren } from 'react'
import { useLaunch } from '@tarojs/taro'
import { initTransport } from './api'
import './app.css'

function App({ children }: PropsWithChildren) {
  // Weapp: Taro.cloud.init once per launch. H5: nothing to set up.
  useLaunch(() => initTransport())
  return children
}

export default App
