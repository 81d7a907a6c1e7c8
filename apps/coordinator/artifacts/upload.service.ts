import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Observable } from 'rxjs';
import {
  ArtifactKind,
  type UploadMetadata,
  type UploadModelRequest,
  type UploadModelResponse,
} from '#contracts';
import { DomainError, DomainErrorCode, SerialQueue, errorMessage } from '#common';
import {
  OnnxFormatError,
  TensorFileError,
  modelFacts,
  parseNpy,
  parseTensorProto,
  readOnnxModel,
} from '#onnx';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../config/coordinator.config.js';
import { ArtifactRepository } from '../store/artifact.repository.js';
import { type PendingArtifact, ArtifactStore, assertSha256 } from './artifact-store.js';
import { toContractFacts } from './model-facts.mapper.js';

const NAME = /^[\w.+-][\w .+-]{0,199}$/;

/** One upload: metadata first, then chunks; nothing is stored unless the bytes are complete and valid. */
export class UploadSession {
  private metadata?: UploadMetadata;
  private pending?: PendingArtifact;
  private readonly queue = new SerialQueue();

  constructor(private readonly uploads: UploadService) {}

  accept(message: UploadModelRequest): Promise<void> {
    return this.queue.run(async () => {
      if (message.metadata) {
        if (this.metadata) {
          throw new DomainError(DomainErrorCode.INVALID_REQUEST, 'UploadModel: metadata sent twice');
        }
        this.metadata = this.uploads.checkMetadata(message.metadata);
        this.pending = await this.uploads.begin();
        return;
      }
      if (!this.metadata || !this.pending) {
        throw new DomainError(
          DomainErrorCode.INVALID_REQUEST,
          'UploadModel: the first message must carry metadata',
        );
      }
      const chunk = message.chunk ?? new Uint8Array();
      if (this.pending.size + chunk.length > this.uploads.maxBytes) {
        throw new DomainError(
          DomainErrorCode.TOO_LARGE,
          `upload '${this.metadata.name}' exceeds the limit of ${this.uploads.maxBytes} bytes`,
        );
      }
      await this.pending.write(chunk);
    });
  }

  finish(): Promise<UploadModelResponse> {
    return this.queue.run(async () => {
      if (!this.metadata || !this.pending) {
        throw new DomainError(
          DomainErrorCode.INVALID_REQUEST,
          'UploadModel: empty upload (no metadata, no bytes)',
        );
      }
      return this.uploads.complete(this.metadata, this.pending);
    });
  }

  abort(): Promise<void> {
    return this.queue.run(async () => {
      await this.pending?.discard();
    });
  }
}

@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);
  readonly maxBytes: number;

  constructor(
    private readonly store: ArtifactStore,
    private readonly artifacts: ArtifactRepository,
    @Inject(COORDINATOR_CONFIG) config: CoordinatorConfig,
  ) {
    this.maxBytes = config.maxModelBytes;
  }

  /** Consumes a client stream; any error discards what was written so far. */
  receive(messages: Observable<UploadModelRequest>): Promise<UploadModelResponse> {
    const session = new UploadSession(this);
    return new Promise<UploadModelResponse>((resolve, reject) => {
      let failed = false;
      const fail = (error: unknown): void => {
        if (!failed) {
          failed = true;
          subscription.unsubscribe();
          void session
            .abort()
            .finally(() => reject(error instanceof Error ? error : new Error(String(error))));
        }
      };
      const subscription = messages.subscribe({
        next: (message) => void session.accept(message).catch(fail),
        error: fail,
        complete: () => void session.finish().then(resolve, fail),
      });
    });
  }

  begin(): Promise<PendingArtifact> {
    return this.store.begin();
  }

  checkMetadata(metadata: UploadMetadata): UploadMetadata {
    const name = basename(metadata.name || 'model.onnx');
    // Names are labels (files are stored by sha256), yet '.' and '..' are refused so none reads as a path.
    if (!NAME.test(name) || /^\.{1,2}$/.test(name)) {
      throw new DomainError(
        DomainErrorCode.INVALID_REQUEST,
        `artifact name '${name.slice(0, 80)}' has characters outside [A-Za-z0-9 _.+-] or is a path`,
      );
    }
    if (metadata.sha256) {
      assertSha256(metadata.sha256);
    }
    if (Number(metadata.sizeBytes) > this.maxBytes) {
      throw new DomainError(
        DomainErrorCode.TOO_LARGE,
        `upload '${name}' (${metadata.sizeBytes} bytes) exceeds the limit of ${this.maxBytes} bytes`,
      );
    }
    return { ...metadata, name };
  }

  async complete(metadata: UploadMetadata, pending: PendingArtifact): Promise<UploadModelResponse> {
    try {
      const sha256 = await pending.finish();
      if (metadata.sha256 && metadata.sha256 !== sha256) {
        throw new DomainError(
          DomainErrorCode.INVALID_REQUEST,
          `upload '${metadata.name}': bytes hash to ${sha256}, not the announced ${metadata.sha256}`,
        );
      }
      if (Number(metadata.sizeBytes) > 0 && Number(metadata.sizeBytes) !== pending.size) {
        throw new DomainError(
          DomainErrorCode.INVALID_REQUEST,
          `upload '${metadata.name}': got ${pending.size} bytes, announced ${metadata.sizeBytes} (truncated upload?)`,
        );
      }
      const bytes = await readFile(pending.tempPath);
      const isTensor = metadata.kind === ArtifactKind.ARTIFACT_KIND_TENSOR;
      const facts = isTensor ? undefined : toContractFacts(this.inspectModel(metadata.name, bytes));
      if (isTensor) {
        this.inspectTensor(metadata.name, bytes);
      }
      await this.store.commit(pending, sha256);
      const inserted = await this.artifacts.insertIfAbsent({
        sha256,
        name: metadata.name,
        kind: isTensor ? 'tensor' : 'model',
        sizeBytes: pending.size,
        facts,
        createdAt: Date.now(),
      });
      this.logger.log(
        `artifact ${sha256.slice(0, 12)} '${metadata.name}' ${pending.size} bytes${inserted ? '' : ' (already stored)'}`,
      );
      return { sha256, sizeBytes: String(pending.size), alreadyStored: !inserted, facts };
    } catch (error) {
      await pending.discard();
      throw error;
    }
  }

  private inspectModel(name: string, bytes: Buffer) {
    try {
      return modelFacts(bytes, readOnnxModel(bytes));
    } catch (error) {
      if (error instanceof OnnxFormatError) {
        throw new DomainError(DomainErrorCode.INVALID_MODEL, `model '${name}': ${error.message}`);
      }
      throw new DomainError(
        DomainErrorCode.INVALID_MODEL,
        `model '${name}' could not be read: ${errorMessage(error)}`,
      );
    }
  }

  private inspectTensor(name: string, bytes: Buffer): void {
    try {
      if (name.endsWith('.npy')) {
        parseNpy(bytes);
      } else {
        parseTensorProto(bytes);
      }
    } catch (error) {
      const reason = error instanceof TensorFileError ? error.message : errorMessage(error);
      throw new DomainError(DomainErrorCode.INVALID_REQUEST, `tensor file '${name}': ${reason}`);
    }
  }
}
