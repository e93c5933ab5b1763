import type { ServerResponse } from 'node:http';
import { type ControllerStats, RerankerError } from '@reranker/core';
import type { Service } from '../service';

/**
 * A fast check, before a rerank body is read, of whether the request could be queued: under a flood,
 * refusing costs no body reading, parsing or validation, so refusals and `/health` stay fast.
 *
 * The engine's queue only sees requests once their body is parsed, so this also counts the requests it
 * let through that have not reached the queue yet (still uploading, parsing, planning): they will take
 * the queue's free places. A request is refused when every slot runs and the queued requests plus
 * those on their way fill MAX_QUEUE_SIZE. While a slot is free nothing is refused, so slow uploads
 * cannot lock out an idle server. The engine's own admission still applies afterwards.
 */
export class Admission {
  readonly #service: Service;
  /** Requests admitted here whose response has not ended. */
  #inFlight = 0;

  constructor(service: Service) {
    this.#service = service;
  }

  /** Why a new rerank request cannot be accepted now (503 QUEUE_FULL, loading, draining), or undefined. */
  refusal(): Error | undefined {
    let controller: ControllerStats;
    try {
      controller = this.#service.admissionStats();
    } catch (error) {
      return error as Error;
    }
    const { active, waiting, max_parallel, max_queue } = controller;
    const queued = Math.max(waiting, this.#inFlight - active);
    if (active < max_parallel || queued < max_queue) return undefined;
    return withoutStack(
      () =>
        new RerankerError(
          'QUEUE_FULL',
          `Too many requests: ${active} running and ${queued} waiting (MAX_QUEUE_SIZE ${max_queue}). Retry later.`,
          { details: { ...controller, waiting: queued } },
        ),
    );
  }

  /** Counts an admitted request until its response ends (sent, failed or abandoned). */
  enter(res: ServerResponse): void {
    this.#inFlight++;
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      this.#inFlight--;
    };
    res.once('finish', leave);
    res.once('close', leave);
  }
}

/**
 * An error made without capturing a stack: a refusal is an answer, never logged with its stack, and
 * under a flood capturing one (through express's frames) was a tenth of each refusal's work.
 */
function withoutStack<E extends Error>(make: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
