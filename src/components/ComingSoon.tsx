import { Image, Text, View } from '@tarojs/components'
import { Tag } from '@nutui/nutui-react-taro'
import './ComingSoon.css'

interface Props {
  icon: string
  title: string
  description: string
}

/** A tidy placeholder for a page whose features are not open yet. */
export default function ComingSoon({ icon, title, description }: Props) {
  return (
    <View className="coming-soon">
      <Image className="coming-soon__icon" src={icon} />
      <Text className="coming-soon__title">{title}</Text>
      <Text className="coming-soon__desc">{description}</Text>
      <Tag type="primary" round className="coming-soon__tag">
        敬请期待
      </Tag>
    </View>
  )
}
