import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { AuditSeal, SealedHead } from '../../domain/shared/audit.js';

const CHAIN = /^[A-Za-z0-9_-]{1,128}$/;
const sealedHead = z.object({ head: z.string().regex(/^[0-9a-f]{64}$/), events: z.number().int().nonnegative(), at: z.string(), reason: z.string() });

const prefixOf = (projectId: string): string => {
  if (!CHAIN.test(projectId)) throw new Error('not a chain name');
  return `heads/${projectId}/`;
};

/**
 * Sealed chain heads in the Object Lock bucket, one object per head:
 * `heads/<projectId>/<position, zero-padded>-<hash>.json`. Each PUT asks for compliance mode until
 * `retentionDays` from now (the bucket's default retention says the same, in case a PUT does
 * not), and only if the key is new, so a seal is never replaced — sealing the same head twice
 * (a retried round completion) finds it already there.
 */
export class S3AuditSeal implements AuditSeal {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly retentionDays: number,
  ) {}

  async seal(projectId: string, sealed: SealedHead): Promise<void> {
    const body = sealedHead.parse(sealed);
    const key = `${prefixOf(projectId)}${String(body.events).padStart(12, '0')}-${body.head}.json`;
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: JSON.stringify({ chain: projectId, ...body }),
          ContentType: 'application/json',
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: new Date(Date.now() + this.retentionDays * 86_400_000),
          IfNoneMatch: '*',
        }),
      );
    } catch (e) {
      // 412: this exact head (position and hash) is sealed already.
      if (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 412) return;
      throw e;
    }
  }

  async sealed(projectId: string): Promise<SealedHead[]> {
    const heads = await Promise.all((await this.keysOf(projectId)).map((Key) => this.read(Key)));
    return heads.sort((a, b) => a.events - b.events);
  }

  async latest(projectId: string): Promise<SealedHead | undefined> {
    // Keys are `<position, zero-padded>-<hash>`: the greatest key is the furthest position.
    const last = (await this.keysOf(projectId)).sort().at(-1);
    return last === undefined ? undefined : this.read(last);
  }

  private async keysOf(projectId: string): Promise<string[]> {
    const prefix = prefixOf(projectId);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(res.Contents ?? []).map((o) => o.Key!).filter(Boolean));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private async read(Key: string): Promise<SealedHead> {
    const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
    return sealedHead.parse(JSON.parse(await res.Body!.transformToString('utf-8')));
  }
}
