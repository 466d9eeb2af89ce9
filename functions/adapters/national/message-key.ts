/**
 * The channel's idempotency key of one letter. A delivery id is unique within its round only, so
 * the key carries the round too; the same letter retried keeps the same key.
 */
export const messageKeyOf = (item: { roundId: string; deliveryId: string }): string => `${item.roundId}.${item.deliveryId}`;

export const parseMessageKey = (key: string): { roundId: string; deliveryId: string } | undefined => {
  const i = key.lastIndexOf('.');
  if (i <= 0 || i === key.length - 1) return undefined;
  return { roundId: key.slice(0, i), deliveryId: key.slice(i + 1) };
};
