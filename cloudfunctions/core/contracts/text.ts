/** Control characters, bidi overrides and lone surrogates garble or reorder a name where consumers, staff and exports show it. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/;
/** Zero-width characters alone (a joiner inside an emoji is fine). */
const INVISIBLE = /^[\u200b-\u200d\u2060\ufeff]*$/;

/** Whether a name typed by a person shows as the text they meant: visible, in order, without control characters. */
export const isDisplayableName = (text: string): boolean => !UNPRINTABLE.test(text) && !INVISIBLE.test(text);
