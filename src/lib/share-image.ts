/**
 * The picture of a shared card (5:4), a file of the code package: config/index.ts copies
 * src/assets/share as it is, and scripts/build-size.ts checks it is there. Without one WeChat shares
 * a screenshot of the page, which here shows the sharer's points, level and member code.
 */
export const SHARE_IMAGE = '/assets/share/invite.jpg'
