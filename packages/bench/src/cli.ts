#!/usr/bin/env node
// Every command is cli-<command>.ts (its arguments), <command>.ts (the run, its options and result) and
// <command>-report.ts (the result as markdown); <command>-*.ts files are that command's helpers.
import { Command } from 'commander';
import { breakdownCommand } from './cli-breakdown';
import { checkpointsCommand } from './cli-checkpoints';
import { clusterCommand } from './cli-cluster';
import { compareCommand } from './cli-compare';
import { evalCommand } from './cli-eval';
import { fusionCommand } from './cli-fusion';
import { llmCommand } from './cli-llm';
import { loadCommand } from './cli-load';
import { overheadCommand } from './cli-overhead';
import { spinningCommand } from './cli-spinning';
import { tableCommand } from './cli-table';

const program = new Command()
  .name('reranker-bench')
  .description(
    'Benchmarks of the reranker engine. Models are synthetic: real architecture and cost, random weights.',
  );

program.addCommand(overheadCommand(), { isDefault: true });
program.addCommand(breakdownCommand());
program.addCommand(compareCommand());
program.addCommand(spinningCommand());
program.addCommand(tableCommand());
program.addCommand(loadCommand());
program.addCommand(clusterCommand());
program.addCommand(evalCommand());
program.addCommand(fusionCommand());
program.addCommand(checkpointsCommand());
program.addCommand(llmCommand());

await program.parseAsync();
