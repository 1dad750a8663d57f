import type { PropsWithChildren } from 'react'
import { useDidShow, useLaunch } from '@tarojs/taro'
import { initTransport } from './api'
import { launchEntry, setPendingEntry, type LaunchOptions } from './launch/entry'
import './app.css'

function App({ children }: PropsWithChildren) {
  // Weapp: Taro.cloud.init once per launch. H5: nothing to set up.
  // Opened through a code (scene or q): the home page takes the entry and routes it.
  useLaunch((options) => {
    initTransport()
    setPendingEntry(launchEntry(options as LaunchOptions))
  })
  // Back from the background through another code (WeChat's hot start): the home page takes it when shown.
  useDidShow((options) => {
    const entry = launchEntry(options as LaunchOptions)
    if (entry) setPendingEntry(entry)
  })
  return children
}

export default App
