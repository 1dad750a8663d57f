import { Text, View } from '@tarojs/components'
import { Button, Loading } from '@nutui/nutui-react-taro'
import type { ReactNode } from 'react'
import type { ApiError } from '../api'
import { DECORATIVE, liveRegion } from '../lib/a11y'
import './StatusView.css'

/** Shown while a request is under way. */
export function LoadingView({ text = '加载中…', compact = false }: { text?: string; compact?: boolean }) {
  return (
    <View className={`status-view ${compact ? 'status-view--compact' : ''}`} {...liveRegion('status')}>
      <Loading type="circular" direction="vertical" className="status-view__loading">
        {text}
      </Loading>
    </View>
  )
}

/** A failed request: the Chinese message for its code, and a retry when one makes sense. */
export function ErrorView({ error, title = '暂时无法加载', onRetry, compact = false }: { error: ApiError; title?: string; onRetry?: () => void; compact?: boolean }) {
  return (
    <View className={`status-view ${compact ? 'status-view--compact' : ''}`} {...liveRegion('alert')}>
      <View className="status-view__mark status-view__mark--error" {...DECORATIVE}>!</View>
      <Text className="status-view__title">{title}</Text>
      <Text className="status-view__desc mc-keep-words">{error.message}</Text>
      {onRetry && (
        <Button type="primary" shape="round" className="status-view__action" onClick={onRetry}>
          重新加载
        </Button>
      )}
    </View>
  )
}

/** Nothing to show yet, and what to do about it. */
export function EmptyView({ title, description, mark = '○', children }: { title: string; description?: string; mark?: string; children?: ReactNode }) {
  return (
    <View className="status-view status-view--compact">
      <View className="status-view__mark status-view__mark--empty" {...DECORATIVE}>{mark}</View>
      <Text className="status-view__title">{title}</Text>
      {description && <Text className="status-view__desc mc-keep-words">{description}</Text>}
      {children}
    </View>
  )
}
