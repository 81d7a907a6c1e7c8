// The report page's own script: draws the charts and the per-operation table from the JSON the server
// embedded. Plain browser JavaScript (no build step, no network); the data is already derived in Node
// (libs/report/report-view.builder.ts), so this file only lays things out. All text goes through
// textContent or ECharts (which escapes), never innerHTML: node and model names are user data.
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('mlfarm-data').textContent);
  var results = data.results;
  var charts = [];
  var chartsPending = 0;
  var setupDone = false;
  var tableFilled = false;

  var INK = '#1f2328';
  var MUTED = '#656d76';
  var ACCENT = '#e8590c';
  var PALETTE = ['#3b6fd6', '#2f9e44', '#e8590c', '#ae3ec9', '#0c8599', '#f08c00', '#c2255c', '#5c7cfa'];
  var TEXT_STYLE = { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' };

  // Same rules as libs/report/report-format.util.ts formatMs.
  function fmtMs(ms) {
    if (ms === null || ms === undefined || !isFinite(ms)) {
      return '—';
    }
    var abs = Math.abs(ms);
    var digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
    return ms.toFixed(digits) + ' ms';
  }

  function fmtShare(share) {
    var pct = share * 100;
    return (pct >= 10 ? pct.toFixed(1) : pct.toFixed(2)) + ' %';
  }

  function fmtCount(n) {
    return n.toLocaleString('en-US');
  }

  /** Sets window.__mlfarmReady (ms since navigation start) once every chart has drawn and the table is filled. */
  function markReady() {
    if (setupDone && tableFilled && chartsPending === 0 && window.__mlfarmReady === undefined) {
      window.__mlfarmReady = performance.now();
      document.documentElement.setAttribute('data-ready', 'true');
    }
  }

  function makeChart(id, option) {
    var el = document.getElementById(id);
    if (!el) {
      return null;
    }
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    var drawn = false;
    chartsPending += 1;
    chart.on('finished', function () {
      if (!drawn) {
        drawn = true;
        chartsPending -= 1;
        markReady();
      }
    });
    chart.setOption(withDefaults(option));
    charts.push(chart);
    return chart;
  }

  function withDefaults(option) {
    // Static report: no animation, so "drawn" means drawn and screenshots are never caught mid-tween.
    option.animation = false;
    option.color = PALETTE;
    option.textStyle = TEXT_STYLE;
    return option;
  }

  function emptyTitle(text) {
    return {
      text: text,
      left: 'center',
      top: 'middle',
      textStyle: { color: MUTED, fontSize: 13, fontWeight: 'normal' },
    };
  }

  // ---- latency distribution: one horizontal box per result, raw samples as a strip under it ----

  function latencyOption() {
    var labels = results.map(function (r) {
      return r.label;
    });
    var strip = [];
    var outliers = [];
    var cis = [];
    results.forEach(function (r, i) {
      r.samples.forEach(function (v) {
        strip.push([v, i]);
      });
      r.outliers.forEach(function (v) {
        outliers.push([v, i]);
      });
      cis.push([r.ci95[0], r.ci95[1], i]);
    });
    return {
      title: results.length === 0 ? emptyTitle('No results') : undefined,
      grid: { left: 8, right: 24, top: 36, bottom: 44 },
      legend: { top: 0, right: 8, itemWidth: 14, itemHeight: 10, textStyle: { color: MUTED } },
      tooltip: { trigger: 'item', confine: true },
      xAxis: {
        type: 'value',
        name: 'latency per run (ms)',
        nameLocation: 'middle',
        nameGap: 28,
        nameTextStyle: { color: MUTED },
        scale: true,
        splitLine: { lineStyle: { color: '#eaeef2' } },
      },
      yAxis: {
        type: 'category',
        data: labels,
        inverse: true,
        axisTick: { show: false },
        axisLabel: { color: INK, width: 260, overflow: 'truncate' },
      },
      series: [
        {
          name: 'quartiles · whiskers 1.5 IQR',
          type: 'boxplot',
          boxWidth: [8, 20],
          itemStyle: { color: 'rgba(59,111,214,0.16)', borderColor: '#3b6fd6', borderWidth: 1.5 },
          data: results.map(function (r) {
            return r.box || [];
          }),
          tooltip: {
            formatter: function (p) {
              var r = results[p.dataIndex];
              return tooltipLines([
                r.label,
                'samples: ' + fmtCount(r.sampleCount),
                'median: ' +
                  fmtMs(r.median) +
                  '  (95 % CI ' +
                  fmtMs(r.ci95[0]) +
                  ' – ' +
                  fmtMs(r.ci95[1]) +
                  ')',
                'Q1 – Q3: ' + fmtMs(r.box && r.box[1]) + ' – ' + fmtMs(r.box && r.box[3]),
                'p90 / p99: ' + fmtMs(r.p90) + ' / ' + fmtMs(r.p99),
              ]);
            },
          },
        },
        {
          name: 'samples',
          type: 'scatter',
          symbolSize: 4,
          symbolOffset: [0, 15],
          itemStyle: { color: 'rgba(31,35,40,0.35)' },
          data: strip,
          large: strip.length > 2000,
          tooltip: {
            formatter: function (p) {
              return tooltipLines([results[p.value[1]].label, 'sample: ' + fmtMs(p.value[0])]);
            },
          },
        },
        {
          name: 'outliers',
          type: 'scatter',
          symbol: 'emptyCircle',
          symbolSize: 6,
          itemStyle: { color: '#c2255c' },
          data: outliers,
          tooltip: {
            formatter: function (p) {
              return tooltipLines([results[p.value[1]].label, 'outlier: ' + fmtMs(p.value[0])]);
            },
          },
        },
        {
          name: 'median 95 % CI',
          type: 'custom',
          itemStyle: { color: ACCENT },
          encode: { x: [0, 1], y: 2 },
          data: cis,
          // Drawn as an error bar just above the box, so that a wide interval never hides the box.
          renderItem: function (params, api) {
            var start = api.coord([api.value(0), api.value(2)]);
            var end = api.coord([api.value(1), api.value(2)]);
            var y = start[1] - 16;
            var style = { stroke: ACCENT, lineWidth: 2 };
            return {
              type: 'group',
              children: [
                {
                  type: 'line',
                  shape: { x1: start[0], y1: y, x2: Math.max(end[0], start[0] + 1), y2: y },
                  style: style,
                },
                { type: 'line', shape: { x1: start[0], y1: y - 4, x2: start[0], y2: y + 4 }, style: style },
                { type: 'line', shape: { x1: end[0], y1: y - 4, x2: end[0], y2: y + 4 }, style: style },
              ],
            };
          },
          tooltip: {
            formatter: function (p) {
              var r = results[p.value[2]];
              return tooltipLines([
                r.label,
                'median 95 % CI: ' + fmtMs(r.ci95[0]) + ' – ' + fmtMs(r.ci95[1]),
              ]);
            },
          },
        },
      ],
    };
  }

  // ECharts puts tooltip HTML into the page; escape it like everything else.
  function tooltipLines(lines) {
    return lines
      .map(function (line) {
        return String(line).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      })
      .join('<br>');
  }

  // ---- hardware comparison: median per agent/EP, one bar series per (model,) variant, CI error bars ----

  function hardwareOption() {
    var hw = data.hardware;
    var n = Math.max(1, hw.series.length);
    var series = [];
    hw.series.forEach(function (s, i) {
      series.push({
        name: s.name,
        type: 'bar',
        barWidth: 60 / n + '%',
        barGap: '0%',
        itemStyle: { borderRadius: [3, 3, 0, 0] },
        data: s.points.map(function (p) {
          return p ? p[0] : null;
        }),
      });
      var bars = [];
      s.points.forEach(function (p, c) {
        if (p) {
          bars.push([c, p[1], p[2]]);
        }
      });
      // Same name as the bars, so the legend shows and hides both together.
      series.push({
        name: s.name,
        type: 'custom',
        silent: true,
        z: 10,
        encode: { x: 0, y: [1, 2] },
        data: bars,
        renderItem: function (params, api) {
          var band = api.size([1, 0])[0];
          var width = (band * 0.6) / n;
          var x = api.coord([api.value(0), 0])[0] - band * 0.3 + (i + 0.5) * width;
          var top = api.coord([api.value(0), api.value(2)])[1];
          var bottom = api.coord([api.value(0), api.value(1)])[1];
          var cap = Math.max(3, width * 0.18);
          var style = { stroke: INK, lineWidth: 1.5 };
          return {
            type: 'group',
            children: [
              { type: 'line', shape: { x1: x, y1: top, x2: x, y2: bottom }, style: style },
              { type: 'line', shape: { x1: x - cap, y1: top, x2: x + cap, y2: top }, style: style },
              { type: 'line', shape: { x1: x - cap, y1: bottom, x2: x + cap, y2: bottom }, style: style },
            ],
          };
        },
      });
    });
    return {
      title: hw.categories.length === 0 ? emptyTitle('No results') : undefined,
      grid: { left: 8, right: 16, top: 40, bottom: 40 },
      legend: { top: 0, left: 'center', textStyle: { color: MUTED } },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        confine: true,
        formatter: function (items) {
          var c = items.length ? items[0].dataIndex : 0;
          var lines = [hw.categories[c]];
          hw.series.forEach(function (s) {
            var p = s.points[c];
            if (p) {
              lines.push(
                s.name + ': ' + fmtMs(p[0]) + '  (95 % CI ' + fmtMs(p[1]) + ' – ' + fmtMs(p[2]) + ')',
              );
            }
          });
          return tooltipLines(lines);
        },
      },
      xAxis: {
        type: 'category',
        data: hw.categories,
        axisTick: { show: false },
        axisLabel: { color: INK, interval: 0, width: 160, overflow: 'break' },
      },
      yAxis: {
        type: 'value',
        name: 'median latency (ms)',
        nameTextStyle: { color: MUTED, align: 'left' },
        splitLine: { lineStyle: { color: '#eaeef2' } },
      },
      series: series,
    };
  }

  // ---- op-type breakdown of the result selected above the per-operation table ----

  var TOP_OP_TYPES = 15;

  function opTypeOption(r) {
    var top = r ? r.opTypes.slice(0, TOP_OP_TYPES) : [];
    return {
      title: top.length === 0 ? emptyTitle('No per-operation profile in this result') : undefined,
      grid: { left: 8, right: 64, top: 8, bottom: 36 },
      tooltip: {
        trigger: 'item',
        formatter: function (p) {
          var t = top[p.dataIndex];
          return tooltipLines([
            t[0],
            fmtCount(t[1]) + ' node' + (t[1] === 1 ? '' : 's'),
            fmtMs(t[2]) + ' per run, ' + fmtShare(t[3]) + ' of the profiled time',
          ]);
        },
      },
      xAxis: {
        type: 'value',
        name: 'time per run, all nodes of the type (ms)',
        nameLocation: 'middle',
        nameGap: 24,
        nameTextStyle: { color: MUTED },
        splitLine: { lineStyle: { color: '#eaeef2' } },
      },
      yAxis: {
        type: 'category',
        inverse: true,
        axisTick: { show: false },
        axisLabel: { color: INK },
        data: top.map(function (t) {
          return t[0];
        }),
      },
      series: [
        {
          type: 'bar',
          barMaxWidth: 18,
          itemStyle: { color: '#3b6fd6', borderRadius: [0, 3, 3, 0] },
          label: {
            show: true,
            position: 'right',
            color: MUTED,
            formatter: function (p) {
              return fmtShare(top[p.dataIndex][3]);
            },
          },
          data: top.map(function (t) {
            return t[2];
          }),
        },
      ],
    };
  }

  // ---- per-operation table: filter, sort, then one page of rows into a plain tbody ----

  var PAGE_SIZE = 50;
  var COLUMNS = [
    { key: 0, numeric: false },
    { key: 1, numeric: false },
    { key: 2, numeric: false },
    { key: 3, numeric: true },
    { key: 4, numeric: true },
  ];
  var state = { result: 0, key: 3, dir: -1, filter: '', fallbackOnly: false, page: 0 };
  var table = document.getElementById('ops-table');
  var tbody = table.querySelector('tbody');
  var filterBox = document.getElementById('ops-filter');
  var fallbackBox = document.getElementById('ops-fallback-only');
  var resultSelect = document.getElementById('ops-result');
  var countLabel = document.getElementById('ops-count');
  var pageLabel = document.getElementById('ops-page');
  var prevButton = document.getElementById('ops-prev');
  var nextButton = document.getElementById('ops-next');
  var searchIndex = [];
  var view = [];

  function indexResult() {
    var r = results[state.result];
    searchIndex = r
      ? r.ops.map(function (o) {
          return (o[0] + '\u0000' + o[1] + '\u0000' + o[2]).toLowerCase();
        })
      : [];
  }

  function computeView() {
    var r = results[state.result];
    var ops = r ? r.ops : [];
    var needle = state.filter.trim().toLowerCase();
    var rows = [];
    for (var i = 0; i < ops.length; i++) {
      if (
        (needle === '' || searchIndex[i].indexOf(needle) !== -1) &&
        (!state.fallbackOnly || ops[i][5] === 1)
      ) {
        rows.push(i);
      }
    }
    var key = state.key;
    var dir = state.dir;
    var numeric = COLUMNS[key].numeric;
    rows.sort(function (a, b) {
      var x = ops[a][key];
      var y = ops[b][key];
      var order = numeric ? x - y : String(x).localeCompare(String(y));
      // Ties keep the server's order (slowest first), so sorting is stable across clicks.
      return order !== 0 ? order * dir : a - b;
    });
    view = rows;
  }

  function cell(tr, text, className) {
    var td = document.createElement('td');
    td.textContent = text;
    if (className) {
      td.className = className;
    }
    tr.appendChild(td);
    return td;
  }

  function renderRows() {
    var r = results[state.result];
    var ops = r ? r.ops : [];
    var pages = Math.max(1, Math.ceil(view.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * PAGE_SIZE;
    var end = Math.min(view.length, start + PAGE_SIZE);
    var maxShare = 0;
    for (var k = 0; k < ops.length; k++) {
      maxShare = Math.max(maxShare, ops[k][4]);
    }
    var fragment = document.createDocumentFragment();
    for (var i = start; i < end; i++) {
      var o = ops[view[i]];
      var tr = document.createElement('tr');
      if (o[5] === 1) {
        tr.className = 'fallback';
      }
      cell(tr, String(i + 1), 'rank');
      var node = cell(tr, o[0], 'node');
      node.title = o[0];
      cell(tr, o[1], 'optype');
      var provider = cell(tr, o[2].replace(/ExecutionProvider$/, ''), 'provider');
      provider.title = o[2];
      if (o[5] === 1) {
        var tag = document.createElement('span');
        tag.className = 'tag tag-fallback';
        tag.textContent = 'CPU fallback';
        provider.appendChild(tag);
        var reason = document.createElement('div');
        reason.className = 'reason';
        reason.textContent = o[6] || 'no reason given';
        if (!o[6]) {
          reason.className = 'reason muted';
        }
        provider.appendChild(reason);
      }
      cell(tr, fmtMs(o[3]), 'num');
      var share = cell(tr, '', 'num share');
      var bar = document.createElement('span');
      bar.className = 'share-bar';
      bar.style.width = (maxShare > 0 ? (o[4] / maxShare) * 100 : 0).toFixed(1) + '%';
      var value = document.createElement('span');
      value.textContent = fmtShare(o[4]);
      share.appendChild(bar);
      share.appendChild(value);
      fragment.appendChild(tr);
    }
    if (view.length === 0) {
      var empty = document.createElement('tr');
      var td = cell(
        empty,
        ops.length === 0 ? 'No per-operation profile in this result.' : 'No operation matches.',
        'empty',
      );
      td.colSpan = 6;
      fragment.appendChild(empty);
    }
    tbody.replaceChildren(fragment);
    var filtered = view.length !== ops.length ? ' (filtered from ' + fmtCount(ops.length) + ')' : '';
    countLabel.textContent =
      (view.length === 0 ? '0' : fmtCount(start + 1) + '–' + fmtCount(end)) +
      ' of ' +
      fmtCount(view.length) +
      ' nodes' +
      filtered;
    pageLabel.textContent = 'page ' + (state.page + 1) + ' of ' + pages;
    prevButton.disabled = state.page === 0;
    nextButton.disabled = state.page >= pages - 1;
  }

  function renderHeaders() {
    table.querySelectorAll('th[data-key]').forEach(function (th) {
      var key = Number(th.getAttribute('data-key'));
      th.setAttribute('aria-sort', key === state.key ? (state.dir > 0 ? 'ascending' : 'descending') : 'none');
    });
  }

  function refreshTable() {
    computeView();
    renderHeaders();
    renderRows();
  }

  results.forEach(function (r, i) {
    var option = document.createElement('option');
    option.value = String(i);
    option.textContent =
      r.label + (r.fallbackCount > 0 ? ' — ' + fmtCount(r.fallbackCount) + ' CPU fallback' : '');
    resultSelect.appendChild(option);
  });
  table.querySelectorAll('th[data-key]').forEach(function (th) {
    th.addEventListener('click', function () {
      var key = Number(th.getAttribute('data-key'));
      if (key === state.key) {
        state.dir = -state.dir;
      } else {
        state.key = key;
        // Times read best slowest first; names alphabetically.
        state.dir = COLUMNS[key].numeric ? -1 : 1;
      }
      state.page = 0;
      refreshTable();
    });
  });
  filterBox.addEventListener('input', function () {
    state.filter = filterBox.value;
    state.page = 0;
    refreshTable();
  });
  fallbackBox.addEventListener('change', function () {
    state.fallbackOnly = fallbackBox.checked;
    state.page = 0;
    refreshTable();
  });
  prevButton.addEventListener('click', function () {
    state.page = Math.max(0, state.page - 1);
    renderRows();
  });
  nextButton.addEventListener('click', function () {
    state.page += 1;
    renderRows();
  });

  // ---- start ----

  indexResult();
  refreshTable();
  tableFilled = true;

  makeChart('chart-latency', latencyOption());
  makeChart('chart-hardware', hardwareOption());
  var opTypeChart = makeChart('chart-optypes', opTypeOption(results[0]));

  resultSelect.addEventListener('change', function () {
    state.result = Number(resultSelect.value);
    state.page = 0;
    indexResult();
    refreshTable();
    if (opTypeChart) {
      opTypeChart.setOption(withDefaults(opTypeOption(results[state.result])), { notMerge: true });
    }
  });
  window.addEventListener('resize', function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });

  setupDone = true;
  markReady();
})();
