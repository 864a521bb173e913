import * as echarts from 'echarts';

export type ChartOption = echarts.EChartsOption;

export interface ChartSize {
  width: number;
  height: number;
}

/**
 * Renders an ECharts option to an SVG string on the server (no DOM): SVG renderer in SSR mode,
 * animation off (a PDF prints the first frame), and the chart always disposed, since a live
 * instance keeps timers that would hold the process open.
 */
export function renderSvg(option: ChartOption, size: ChartSize): string {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: size.width,
    height: size.height,
  });
  try {
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
