import type { Command } from 'commander';
import { BACKEND_ORDER } from '../backend/backendChoice.js';
import { loadConfig } from '../config.js';
import { DEMO_COHORT } from '../data/synthetic.js';
import { backendOf, int } from './options.js';

export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the dashboard and JSON API (npm start), ingesting the demo dataset on first start')
    .option('--port <n>', 'port (default: PORT or 8080)', int('--port'))
    .option('--host <address>', 'address to listen on; anything but 127.0.0.1 requires accounts (segfusion user add) or SEGFUSION_TOKEN', '127.0.0.1')
    .option('--no-worker', 'do not run queued jobs in this process (use `segfusion worker`)')
    .option('--no-demo', 'do not create the demo dataset')
    .option('--demo-dir <dir>', 'where the demo cohort is written', 'datasets/demo')
    .option('--demo-patients <n>', 'patients in the demo cohort', int('--demo-patients'), DEMO_COHORT.patients)
    .option('--backend <name>', `TF.js backend for training: ${BACKEND_ORDER.join(', ')}`)
    .action(async (o: { port?: number; host: string; worker: boolean; demo: boolean; demoDir: string; demoPatients: number; backend?: string }) => {
      const { startServer } = await import('../server/serve.js');
      const config = loadConfig();
      // Signal handlers come first: a SIGTERM that arrives while the server starts (or just as it prints
      // its URL) is honoured once it is up, instead of killing the process with the default action.
      let server: Awaited<ReturnType<typeof startServer>> | undefined;
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        console.error('shutting down (a running training stops after its current batch)...');
        if (server) void server.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      server = await startServer(config, {
        host: o.host,
        port: o.port ?? config.port,
        worker: o.worker,
        demo: o.demo ? { dir: o.demoDir, patients: o.demoPatients } : null,
        backend: backendOf(o.backend),
        onProgress: (m) => console.error(m),
      });
      console.log(`SegFusion dashboard: ${server.url}/`);
      if (stopping) await server.close().then(() => process.exit(0));
    });
}
