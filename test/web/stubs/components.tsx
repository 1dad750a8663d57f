/**
 * Stand-ins for @tarojs/components in jsdom: plain DOM elements carrying the props tests
 * look at (an input or textarea its nativeProps too, which H5 puts on the real <input> inside
 * Taro's element). Inputs answer onInput with Taro's `{ detail: { value } }`; the phone button calls
 * onGetPhoneNumber with `phoneNumberDetail` (set it in a test to refuse or pass a code).
 */
import { createElement, type ReactNode } from 'react'

type Props = Record<string, any> & { children?: ReactNode }

const DOM_PROPS = /^(className|style|id|role|onClick|title|hidden|tabIndex|aria-.*|data-.*)$/

function pick(props: Props): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(props)) if (DOM_PROPS.test(k)) out[k] = v
  return out
}

const box = (tag: string, name: string) => {
  const C = (props: Props) => createElement(tag, { ...pick(props), 'data-taro': name }, props.children)
  C.displayName = name
  return C
}

const phoneNumberDetail: { current: Record<string, unknown> } = { current: { code: 'wx-phone-code' } }

const base: Record<string, unknown> = {
  __esModule: true,
  phoneNumberDetail,
  View: box('div', 'View'),
  Text: box('span', 'Text'),
  Block: (props: Props) => createElement('div', null, props.children),
  ScrollView: box('div', 'ScrollView'),
  Image: (props: Props) => createElement('img', { ...pick(props), src: props.src, alt: props['aria-label'] ?? '' }),
  Input: (props: Props) =>
    createElement('input', {
      ...pick(props),
      // H5 draws the real <input> inside Taro's own element: what reaches it is nativeProps
      ...props.nativeProps,
      value: props.value ?? '',
      placeholder: props.placeholder,
      maxLength: props.maxlength,
      disabled: props.disabled,
      type: props.password ? 'password' : 'text',
      onChange: (e: { target: { value: string } }) => props.onInput?.({ detail: { value: e.target.value } }),
    }),
  Textarea: (props: Props) =>
    createElement('textarea', {
      ...pick(props),
      ...props.nativeProps,
      value: props.value ?? '',
      placeholder: props.placeholder,
      onChange: (e: { target: { value: string } }) => props.onInput?.({ detail: { value: e.target.value } }),
    }),
  Button: (props: Props) =>
    createElement(
      'button',
      {
        ...pick(props),
        disabled: props.disabled,
        'data-open-type': props.openType,
        onClick: (e: unknown) => {
          props.onClick?.(e)
          if (String(props.openType ?? '').split('|').includes('getPhoneNumber')) props.onGetPhoneNumber?.({ detail: phoneNumberDetail.current })
        },
      },
      props.children,
    ),
  Picker: (props: Props) =>
    createElement('label', { 'data-taro': 'Picker' }, props.children, createElement('input', {
      'aria-label': 'picker',
      type: 'text',
      value: props.value ?? '',
      onChange: (e: { target: { value: string } }) => props.onChange?.({ detail: { value: e.target.value } }),
    })),
}

// NutUI asks for more components than the pages use: any other name is a plain box.
module.exports = new Proxy(base, {
  get: (target, key) => {
    if (typeof key === 'string' && !(key in target)) target[key] = box('div', key)
    return target[key as string]
  },
})
