import type { APIGatewayProxyResultV2 } from 'aws-lambda';

/**
 * The deployed API's only unauthenticated route. Deliberately touches no table, queue or secret:
 * it proves the API and Lambda are reachable and can leak nothing.
 */
export const handler = async (): Promise<APIGatewayProxyResultV2> => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify({ ok: true }),
});
