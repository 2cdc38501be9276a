import { Command } from 'commander';
import type { ClusterOp, ClusterStatus, RingkvClient } from '@ringkv/client';
import type { CliIo } from './cli-io.js';
import { withClient } from './client-session.js';
import type { CommandContext } from './command-context.js';
import { EXIT } from './exit-codes.js';
import { reportFailure } from './request-failure.js';
import { count, describeStaged, formatBytes, formatPlan, formatSeconds, isEmpty, progressBar } from './cluster-plan-format.js';
import { adminUrl, gatherProgress, progressJson, type ClusterProgress, type MemberView } from './cluster-progress.js';
import { UsageError } from './usage-error.js';

/**
 * `ringkv cluster …`: membership changes as Riak's plan/commit. Stage join,
 * leave or remove on one node, look at the plan, commit it as a new ring epoch,
 * follow the transfers. Staging is kept on the node you talk to, so every
 * subcommand talks to exactly one node: the first of --node.
 */

interface AdminFlags {
  readonly node?: string;
  readonly json?: boolean;
}

interface StatusFlags extends AdminFlags {
  readonly watch?: boolean;
  readonly intervalMs?: string;
}

const nodeHelp = 'node URL (default: $RINGKV_NODE or http://127.0.0.1:7001); staging is kept on this node';

/**
 * Commander copies the program's settings (output, exit override) only to the
 * commands added to it directly; this group hands them on to its subcommands,
 * so `ringkv cluster join --help` writes where the CLI writes and does not exit the process.
 */
class CommandGroup extends Command {
  override copyInheritedSettings(source: Command): this {
    super.copyInheritedSettings(source);
    for (const sub of this.commands) sub.copyInheritedSettings(this);
    return this;
  }
}

export function clusterCommand(ctx: CommandContext): Command {
  const group = new CommandGroup('cluster')
    .summary('add and remove nodes: stage, plan, commit, follow the transfers')
    .description(
      'Membership changes, as Riak\'s plan/commit. Start a new node with --seeds pointing at the cluster, ' +
        'stage "join" for it (or "leave" / "remove" for one going away) on any node, look at the "plan", ' +
        'then "commit": the ring gets a new epoch and the partitions move by themselves. ' +
        'Follow them with "status --watch". Staged changes live on the node you talk to: use the same --node ' +
        'for join/leave/remove, plan and commit.',
    )
    .addHelpText(
      'after',
      `
Examples:
  ringkv node --id n4 --http 127.0.0.1:7004 --rpc 127.0.0.1:7104 --data ./data/n4 --seeds 127.0.0.1:7101 &
  ringkv cluster join n4
  ringkv cluster plan
  ringkv cluster commit
  ringkv cluster status --watch

  ringkv cluster leave n2 && ringkv cluster commit     # n2 hands its partitions off
  ringkv cluster remove n3 && ringkv cluster commit    # n3 is gone for good: refill from the other replicas
`,
    );
  for (const op of ['join', 'leave', 'remove'] as const) group.addCommand(stageCommand(ctx, op));
  group.addCommand(planCommand(ctx));
  group.addCommand(commitCommand(ctx));
  group.addCommand(clearCommand(ctx));
  group.addCommand(statusCommand(ctx));
  return group;
}

const stageText: Record<ClusterOp, { summary: string; description: string; example: string }> = {
  join: {
    summary: 'stage the join of a new node (it must already run with --seeds)',
    description:
      'Stages the join of NODE, which must already run, started with --seeds pointing at the cluster, so that ' +
      'this node knows it through gossip. Nothing moves until "ringkv cluster commit".',
    example: 'n4',
  },
  leave: {
    summary: 'stage the leave of a running node (it hands its partitions off)',
    description:
      'Stages the leave of NODE, a running member: after the commit it streams each of its partitions to ' +
      'the new replica, keeps forwarding late writes for a while, then drops its copies. Stop it once ' +
      '"ringkv cluster status" shows no pending transfer and its /status shows no key stored.',
    example: 'n2',
  },
  remove: {
    summary: 'stage the removal of a dead node (its partitions refill from the other replicas)',
    description:
      'Stages the removal of NODE, a member that is down for good (use "leave" for one that runs): after ' +
      'the commit its partitions get new owners, which fill themselves from the surviving replicas.',
    example: 'n3',
  },
};

function stageCommand(ctx: CommandContext, op: ClusterOp): Command {
  const text = stageText[op];
  return new Command(op)
    .summary(text.summary)
    .description(text.description)
    .argument('<node>', 'node id, e.g. n4')
    .option('--node <url>', nodeHelp)
    .option('--json', 'print what is staged as JSON')
    .addHelpText(
      'after',
      `\nExamples:\n  ringkv cluster ${op} ${text.example}\n  ringkv cluster ${op} ${text.example} --node http://127.0.0.1:7002 --json\n`,
    )
    .action(async (id: string, flags: AdminFlags) => {
      await run(ctx, async () => {
        const [admin, staged] = await withClient(flags.node, ctx.io, async (c) => [adminUrl(c), await c.clusterStage(op, id)] as const);
        if (flags.json === true) {
          ctx.io.stdout.write(`${JSON.stringify({ node: admin, staged }, null, 2)}\n`);
        } else {
          ctx.io.stdout.write(`staged on ${admin}: ${describeStaged(staged)}\n`);
          ctx.io.stdout.write(`next: ringkv cluster plan${nodeSuffix(flags)}, then ringkv cluster commit${nodeSuffix(flags)}\n`);
        }
      });
    });
}

function planCommand(ctx: CommandContext): Command {
  return new Command('plan')
    .summary('show what committing the staged changes would move, and its cost')
    .description(
      'Shows the new epoch the staged changes would commit: how many partitions change owner (the claim ' +
        'moves the fewest a balanced ring allows), how many key partitions are transferred, and per node the ' +
        'partitions in and out, the keys and bytes it receives and an estimated time. Keys and bytes are' +
        "estimated from the asked node's average per partition.",
    )
    .option('--node <url>', nodeHelp)
    .option('--json', 'print the plan JSON as the node sent it')
    .addHelpText('after', '\nExamples:\n  ringkv cluster plan\n  ringkv cluster plan --node http://127.0.0.1:7002 --json\n')
    .action(async (flags: AdminFlags) => {
      await run(ctx, async () => {
        const plan = await withClient(flags.node, ctx.io, (c) => c.clusterPlan());
        ctx.io.stdout.write(flags.json === true ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
      });
    });
}

function commitCommand(ctx: CommandContext): Command {
  return new Command('commit')
    .summary('apply the staged changes as a new ring epoch')
    .description(
      'Applies the staged changes as a new ring epoch, which gossip spreads; the transfers start at once. ' +
        'With nothing staged on a cluster still running on its bootstrap ring (epoch 0), the first commit ' +
        'seals that ring as epoch 1, so that a node started later joins only when told to. ' +
        'Refused while transfers of the current epoch are still pending.',
    )
    .option('--node <url>', nodeHelp)
    .option('--json', 'print the plan that was applied as JSON')
    .addHelpText('after', '\nExamples:\n  ringkv cluster commit\n  ringkv cluster commit && ringkv cluster status --watch\n')
    .action(async (flags: AdminFlags) => {
      await run(ctx, async () => {
        const plan = await withClient(flags.node, ctx.io, (c) => c.clusterCommit());
        if (flags.json === true) {
          ctx.io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
          return;
        }
        const nothing = isEmpty(plan.staged);
        ctx.io.stdout.write(
          nothing && plan.epoch === 0
            ? `sealed the bootstrap ring as epoch ${plan.nextEpoch}: from now on only join/leave/remove move partitions\n`
            : `committed epoch ${plan.nextEpoch} (${describeStaged(plan.staged)}): ${plan.ownersMoved} partitions change owner, ` +
                `${plan.transfers} transfers, estimated ${formatSeconds(plan.estimatedSeconds)}\n` +
                (plan.transfers > 0 ? `follow with: ringkv cluster status --watch${nodeSuffix(flags)}\n` : ''),
        );
      });
    });
}

function clearCommand(ctx: CommandContext): Command {
  return new Command('clear')
    .summary('forget the staged changes')
    .description('Forgets every change staged on the node (nothing committed is undone).')
    .option('--node <url>', nodeHelp)
    .option('--json', 'print what is staged afterwards as JSON')
    .addHelpText('after', '\nExamples:\n  ringkv cluster clear\n')
    .action(async (flags: AdminFlags) => {
      await run(ctx, async () => {
        const [admin, staged] = await withClient(flags.node, ctx.io, async (c) => [adminUrl(c), await c.clusterClear()] as const);
        ctx.io.stdout.write(flags.json === true ? `${JSON.stringify({ node: admin, staged }, null, 2)}\n` : `nothing staged on ${admin}\n`);
      });
    });
}

function statusCommand(ctx: CommandContext): Command {
  return new Command('status')
    .summary('show the ring epoch, the members and the progress of the transfers')
    .description(
      'Shows the ring epoch and members as the node sees them, and a progress bar of the current epoch\'s ' +
        'transfers (done/total), with the keys and bytes every reachable node has handed off and the rate. ' +
        'With --watch it refreshes every second until no transfer is pending.',
    )
    .option('--node <url>', 'node URL (default: $RINGKV_NODE or http://127.0.0.1:7001)')
    .option('--json', 'print JSON (with --watch: one object per line)')
    .option('--watch', 'refresh every second until no transfer is pending')
    .option('--interval-ms <ms>', 'refresh interval for --watch', '1000')
    .addHelpText(
      'after',
      '\nExamples:\n  ringkv cluster status\n  ringkv cluster status --watch\n  ringkv cluster status --json | jq .transfers\n',
    )
    .action(async (flags: StatusFlags) => {
      await run(ctx, async () => {
        const intervalMs = Number(flags.intervalMs ?? '1000');
        if (!/^[0-9]+$/.test(flags.intervalMs ?? '1000') || intervalMs < 50 || intervalMs > 600_000) {
          throw new UsageError('--interval-ms: expected milliseconds in 50..600000');
        }
        await withClient(flags.node, ctx.io, (c) => (flags.watch === true ? watchStatus(c, ctx.io, flags, intervalMs) : showStatus(c, ctx.io, flags)));
      });
    });
}

/** Runs a subcommand body and turns what it throws into the right message and exit code. */
async function run(ctx: CommandContext, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    ctx.exit(EXIT.ok);
  } catch (err) {
    ctx.exit(reportFailure(err, ctx.io));
  }
}

const nodeSuffix = (flags: AdminFlags): string => (flags.node === undefined ? '' : ` --node ${flags.node}`);


function formatHeader(p: ClusterProgress): string {
  const lines: string[] = [];
  const ring = p.members.filter((m) => m.inRing);
  const outside = p.members.filter((m) => !m.inRing);
  const show = (m: MemberView): string => `${m.id} (${m.state}${m.partitions === undefined ? '' : `, ${m.partitions} partitions`})`;
  lines.push(`ring epoch ${p.status.epoch}${p.status.epoch === 0 ? ' (bootstrap ring, not sealed yet: "ringkv cluster commit" seals it)' : ''}, as ${p.node} sees it`);
  lines.push(`members    ${ring.length}: ${ring.map(show).join(', ')}`);
  if (outside.length > 0) lines.push(`not in the ring: ${outside.map(show).join(', ')}`);
  if (!isEmpty(p.status.staged)) lines.push(`staged     ${describeStaged(p.status.staged)} (on ${p.node})`);
  return lines.join('\n');
}

/** `since`: handoff figures to subtract (what the nodes had sent when --watch began). */
function formatProgressLine(p: ClusterProgress, rate?: { keysPerSecond: number; bytesPerSecond: number }, since?: { keys: number; bytes: number }): string {
  const t = p.status.transfers;
  const pct = t.total === 0 ? 100 : Math.floor((t.done * 100) / t.total);
  const keysPerSecond = rate?.keysPerSecond ?? p.keysPerSecondNow;
  const rateText = rate === undefined ? `${count(keysPerSecond)} keys/s` : `${count(keysPerSecond)} keys/s, ${formatBytes(rate.bytesPerSecond)}/s`;
  return (
    `transfers ${progressBar(t.done, t.total)} ${t.done}/${t.total} (${pct}%)  ` +
    `${since === undefined ? 'handed off' : 'moved'} ${count(Math.max(0, p.keysSent - (since?.keys ?? 0)))} keys, ${formatBytes(Math.max(0, p.bytesSent - (since?.bytes ?? 0)))}  ` +
    `${rateText}, ${p.transfersRunning} running` +
    (p.unanswered.length > 0 ? `  (no answer: ${p.unanswered.join(', ')})` : '')
  );
}

async function showStatus(c: RingkvClient, io: CliIo, flags: StatusFlags): Promise<void> {
  const p = await gatherProgress(c);
  if (flags.json === true) {
    io.stdout.write(`${JSON.stringify(progressJson(p), null, 2)}\n`);
    return;
  }
  const t = p.status.transfers;
  const lines = [formatHeader(p), formatProgressLine(p)];
  lines.push(t.pending === 0 ? (t.total === 0 ? 'no transfer in this epoch' : 'every transfer of this epoch is done') : `${t.pending} transfers pending${sampleText(p.status)}`);
  lines.push('(handed off: keys and bytes sent by the answering nodes since each started)');
  io.stdout.write(`${lines.join('\n')}\n`);
}

function sampleText(s: ClusterStatus): string {
  const sample = s.pendingSample.slice(0, 5).map((x) => `${x.partition}:${x.from ?? '?'}->${x.to}`);
  return sample.length === 0 ? '' : `, e.g. ${sample.join(' ')}`;
}

/** Refreshes until the asked node sees no pending transfer; the rate is measured between refreshes. */
async function watchStatus(c: RingkvClient, io: CliIo, flags: StatusFlags, intervalMs: number): Promise<void> {
  const tty = io.stdout.isTTY === true && flags.json !== true;
  const started = Date.now();
  const samples: { at: number; keys: number; bytes: number }[] = [];
  let failures = 0;
  let first = true;
  let since: { keys: number; bytes: number } | undefined;
  for (;;) {
    let p: ClusterProgress;
    try {
      p = await gatherProgress(c);
      failures = 0;
    } catch (err) {
      // A node restarting for a moment is no reason to stop watching; a node gone for good is.
      if (++failures >= 10) throw err;
      io.stderr.write(`ringkv: ${err instanceof Error ? err.message : String(err)} (retrying)\n`);
      await sleep(intervalMs);
      continue;
    }
    samples.push({ at: p.at, keys: p.keysSent, bytes: p.bytesSent });
    since ??= { keys: p.keysSent, bytes: p.bytesSent };
    // Over the last few seconds, so the figure follows the transfers without jumping at every batch.
    while (samples.length > 2 && (samples[samples.length - 1]?.at ?? 0) - (samples[0]?.at ?? 0) > 5000) samples.shift();
    const oldest = samples[0];
    const newest = samples[samples.length - 1];
    const span = oldest === undefined || newest === undefined ? 0 : (newest.at - oldest.at) / 1000;
    const rate =
      span > 0 && oldest !== undefined && newest !== undefined
        ? { keysPerSecond: Math.max(0, newest.keys - oldest.keys) / span, bytesPerSecond: Math.max(0, newest.bytes - oldest.bytes) / span }
        : undefined;
    const done = p.status.transfers.pending === 0;
    if (flags.json === true) {
      io.stdout.write(`${JSON.stringify(progressJson(p, rate))}\n`);
    } else {
      if (first) io.stdout.write(`${formatHeader(p)}\n(moved: keys and bytes handed off since this watch began)\n`);
      const line = formatProgressLine(p, rate, since);
      io.stdout.write(tty ? `\r\x1b[K${line}${done ? '\n' : ''}` : `${line}\n`);
    }
    first = false;
    if (done) {
      if (flags.json !== true) io.stdout.write(`no transfer pending in epoch ${p.status.epoch} (watched ${formatSeconds((Date.now() - started) / 1000)})\n`);
      return;
    }
    await sleep(intervalMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
