import type { PropsWithChildren } from 'react'
import { useDidShow, useLaunch } from '@tarojs/taro'
import { initTransport } from './api'
import { entryFrom, h5Query, setPendingEntry } from './launch/entry'
import './app.css'

const fromOptions = (options: { query?: Record<string, unknown> } | undefined) =>
  entryFrom(options?.query) ?? (process.env.TARO_ENV === 'h5' ? entryFrom(h5Query()) : null)

function App({ children }: PropsWithChildren) {
  // Weapp: Taro.cloud.init once per launch. H5: nothing to set up.
  // Opened through a code (scene or q): the home page takes the entry and routes it.
  useLaunch((options) => {
    initTransport()
    setPendingEntry(fromOptions(options))
  })
  // Back from the background through another code (WeChat's hot start).
  useDidShow((options) => {
    const entry = fromOptions(options as { query?: Record<string, unknown> })
    if (entry) setPendingEntry(entry)
  })
  return children
}

export default App
