import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

/**
 * One name for each thing the consumer is asked to find: linking a store card is 关联门店会员卡
 * wherever it is offered (the channel list, 我的, the page's title and its button; 会员卡 alone is
 * also the mini-program's own card on 会员), and deleting one's data is 删除我的数据 (the row on
 * 我的 the terms send the consumer to). Read from src/, as both builds show it.
 */
const SRC = resolve(__dirname, '../../src')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return /\.(tsx?|json)$/.test(name) ? [path] : []
  })
}

const FILES = sources(SRC).map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }))

/** Where `pattern` occurs in src/, as file: match. */
function occurrences(pattern: RegExp): string[] {
  return FILES.flatMap(({ path, text }) => Array.from(text.matchAll(new RegExp(pattern.source, 'g')), (m) => `${path}: ${m[0]}`))
}

describe('the consumer sees one name for each action', () => {
  it('linking a store card is 关联门店会员卡 everywhere it is offered', () => {
    expect(occurrences(/关联会员卡|关联门店卡|绑定门店会员卡|绑定会员卡/)).toEqual([])
    const named = occurrences(/关联门店会员卡/).map((hit) => hit.split(':')[0])
    expect(new Set(named)).toEqual(new Set([
      'packages/account/store-card/index.config.ts', // the title bar
      'packages/account/store-card/index.tsx', // the page's title and button
      'pages/member/ChannelList.tsx', // the 线下门店 row on 会员
      'pages/mine/index.tsx', // the row on 我的
    ]))
  })

  it('deleting one\'s data is 删除我的数据, in the terms as on 我的', () => {
    expect(occurrences(/删除(?!我的数据)(?:个人|您的)?(?:数据|信息|资料)/)).toEqual([])
    const named = occurrences(/删除我的数据/).map((hit) => hit.split(':')[0])
    expect(new Set(named)).toEqual(new Set(['pages/mine/index.tsx', 'packages/join/TermsStep.tsx', 'packages/account/terms/index.tsx']))
  })
})
