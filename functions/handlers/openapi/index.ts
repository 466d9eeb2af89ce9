import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import document from '../../../docs/openapi.json' with { type: 'json' };

/**
 * GET /openapi.json, public. Serves the generated file (bundled into the Lambda), not a fresh
 * generation: generating needs every handler's schemas, which this small function should not
 * carry. A test keeps the file equal to what `npm run openapi` generates from the schemas.
 */
const body = JSON.stringify(document);

export const routes = {};

export const handler = async (): Promise<APIGatewayProxyStructuredResultV2> => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
  body,
});
