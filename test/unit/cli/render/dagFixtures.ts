/** Graphs shared by the dag renderer tests. */

export interface TestGraph {
  nodes: string[];
  edges: Array<[string, string]>;
}

/** The classic tutorial: 2 data files and 3 single-stage files. */
export function tutorialPipeline(): TestGraph {
  return {
    nodes: [
      'data/train_data.csv.dvc',
      'data/test_data.csv.dvc',
      'featurization.dvc',
      'training.dvc',
      'Dvcfile',
    ],
    edges: [
      ['data/train_data.csv.dvc', 'featurization.dvc'],
      ['data/test_data.csv.dvc', 'featurization.dvc'],
      ['featurization.dvc', 'training.dvc'],
      ['training.dvc', 'Dvcfile'],
    ],
  };
}

/** 60 nodes: 8 sources, foreach fan-out/fan-in, a shared params file, a final fan-out. */
export function bigPipeline(): TestGraph {
  const nodes: string[] = [];
  const edges: Array<[string, string]> = [];
  for (let i = 0; i < 8; i++) {
    nodes.push(`data/raw_${i}.csv.dvc`, `clean@${i}`);
    edges.push([`data/raw_${i}.csv.dvc`, `clean@${i}`]);
  }
  nodes.push('params.dvc');
  for (let j = 0; j < 16; j++) {
    nodes.push(`featurize@${j}`);
    edges.push([`clean@${j % 8}`, `featurize@${j}`], [`clean@${(j + 3) % 8}`, `featurize@${j}`]);
  }
  for (let k = 0; k < 8; k++) {
    nodes.push(`train@${k}`, `evaluate@${k}`);
    edges.push(
      [`featurize@${2 * k}`, `train@${k}`],
      [`featurize@${2 * k + 1}`, `train@${k}`],
      ['params.dvc', `train@${k}`],
      [`train@${k}`, `evaluate@${k}`],
    );
  }
  nodes.push('report', 'publish');
  for (let k = 0; k < 8; k++) edges.push([`evaluate@${k}`, 'report']);
  edges.push(['report', 'publish']);
  for (let d = 0; d < 9; d++) {
    nodes.push(`deploy@${d}`);
    edges.push(['publish', `deploy@${d}`]);
  }
  return { nodes, edges };
}
