import { EventEmitter } from 'node:events';
import type { WorkerEvent } from '../jobs/worker.js';

/** Worker events fanned out to the server-sent-event streams of connected browsers. */
export class EventBus extends EventEmitter<{ event: [WorkerEvent] }> {
  constructor() {
    super();
    // One listener per open dashboard tab.
    this.setMaxListeners(0);
  }

  publish(e: WorkerEvent): void {
    this.emit('event', e);
  }
}
