import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NotFound, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ListUploadStore } from '../../domain/lists/ports.js';
import { PayloadTooLargeError } from '../../shared/errors.js';

const isMissing = (e: unknown): boolean => e instanceof NoSuchKey || e instanceof NotFound || (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 404;

/** Recipient-list uploads in the (KMS-encrypted, short-lived) recipient-lists bucket. */
export class S3ListUploadStore implements ListUploadStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    /** Signs upload URLs; must not add a body checksum (see s3Presigner in shared/clients.ts). */
    private readonly presigner: S3Client,
  ) {}

  createUploadUrl(objectKey: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.presigner, new PutObjectCommand({ Bucket: this.bucket, Key: objectKey }), { expiresIn: expiresInSeconds });
  }

  async readText(objectKey: string, maxBytes: number): Promise<string | undefined> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      if ((head.ContentLength ?? 0) > maxBytes) throw new PayloadTooLargeError(`The uploaded file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`);
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return res.Body ? await res.Body.transformToString('utf-8') : '';
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async deleteObject(objectKey: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
  }
}
