import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';

interface DagFlags {
  dot?: boolean;
  mermaid?: boolean;
  md?: boolean;
  full?: boolean;
  outs?: boolean;
  html?: string;
}

export function registerDag(program: Command): void {
  program
    .command('dag')
    .description('Draw the pipeline graph in the terminal (or as dot / mermaid / markdown)')
    .argument('[target]', 'stage or .dvc file: draw only what leads to it')
    .option('--dot', 'print the graph in Graphviz dot format')
    .option('--mermaid', 'print the graph as a Mermaid flowchart')
    .option('--md', 'print the Mermaid flowchart in a Markdown code block')
    .option('--full', 'with a target, draw the whole pipeline it belongs to')
    .option('-o, --outs', 'draw outputs instead of stages')
    .option('--html <file>', 'write the interactive pipeline page as one self-contained HTML file')
    .action(async (target: string | undefined, flags: DagFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      if (flags.html !== undefined) {
        const { writeDagHtml } = await import('../../ui-server/export.js');
        const file = await writeDagHtml(repo, ctx.cwd, flags.html);
        ctx.ui.out(`Wrote ${file}`);
        return;
      }
      const { StageIndex } = await import('../../core/7-metafiles/stageIndex.js');
      const { PipelineGraph } = await import('../../core/7-metafiles/graph.js');
      const render = await import('../render/dag.js');
      const index = StageIndex.load(repo);
      const graph = new PipelineGraph(index.stages);
      const cwdRel = repo.rel(ctx.cwd);
      let stages = index.stages;
      if (target !== undefined) {
        const targets = index.resolveTarget(target, cwdRel);
        stages = flags.full === true ? graph.component(targets) : graph.plan(targets);
      }
      const included = new Set(stages);
      const edges = graph.edges().filter(([up, down]) => included.has(up) && included.has(down));
      let input: { nodes: string[]; edges: Array<[string, string]> };
      if (flags.outs === true) {
        const nodes = stages.flatMap((s) => s.outs.map((o) => o.repoPath));
        const outEdges: Array<[string, string]> = [];
        for (const [up, down] of edges) {
          for (const o1 of up.outs)
            for (const o2 of down.outs) outEdges.push([o1.repoPath, o2.repoPath]);
        }
        input = { nodes, edges: outEdges };
      } else {
        input = {
          nodes: stages.map((s) => s.address(cwdRel)),
          edges: edges.map(([up, down]) => [up.address(cwdRel), down.address(cwdRel)]),
        };
      }
      let text: string;
      if (flags.dot === true) text = render.renderDagDot(input);
      else if (flags.md === true) text = render.renderDagMarkdown(input);
      else if (flags.mermaid === true) text = render.renderDagMermaid(input);
      else text = render.renderDagAscii(input, { width: process.stdout.columns ?? 80 });
      ctx.ui.data(text);
    });
}
