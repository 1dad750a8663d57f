/** The dev identity switcher exists in the H5 build only (DevIdentitySwitcher.h5.tsx); WeChat gets nothing. */
export default function DevIdentitySwitcher() {
  return null
}
