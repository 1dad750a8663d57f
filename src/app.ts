import type { PropsWithChildren } from 'react'
import { useDidShow, useLaunch } from '@tarojs/taro'
import { initTransport } from './api'
import { forgetH5Entry, newEntry, setPendingEntry, type LaunchOptions } from './launch/entry'
import { keyboardTaps } from './lib/keyboard'
import { watchPageLoadFailures } from './lib/routes'
import './app.css'

/** The launch's entry, once; in H5 it then leaves the address, so a reload does not open the code again. */
function takeLaunchEntry(options: LaunchOptions) {
  const entry = newEntry(options)
  if (entry && process.env.TARO_ENV === 'h5') forgetH5Entry()
  return entry
}

function App({ children }: PropsWithChildren) {
  // Weapp: Taro.cloud.init once per launch. H5: nothing to set up.
  // Opened through a code (scene or q): the home page takes the entry and routes it.
  useLaunch((options) => {
    initTransport()
    if (process.env.TARO_ENV === 'h5') {
      watchPageLoadFailures()
      keyboardTaps()
    }
    setPendingEntry(takeLaunchEntry(options as LaunchOptions))
  })
  // Back from the background through another code (WeChat's hot start): the home page takes it when shown.
  useDidShow((options) => {
    const entry = takeLaunchEntry(options as LaunchOptions)
    if (entry) setPendingEntry(entry)
  })
  return children
}

export default App
