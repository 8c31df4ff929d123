/* aqrank dashboard — plain JavaScript, no build step, no external assets.
 *
 * Every piece of text that comes from the API goes into the page through textContent or
 * setAttribute (never innerHTML), so a station named "<b>" shows as "<b>".
 *
 * Query parameters: lang=en (English labels, English category names from the API),
 * nostream=1 (no EventSource: polling only; used by headless tests and useful behind proxies
 * that break long-lived responses).
 *
 * When the daemon has AQRANK_READ_TOKEN, the API answers 401 and the page asks for the token
 * (or takes it from the address fragment, /#token=…, which never reaches the server: a wall
 * display's bookmark). It is kept in this browser's localStorage and sent as a Bearer header;
 * EventSource cannot send headers, so with a token the page polls.
 */
(function () {
  'use strict';

  var API = '/api/v1';
  var params = new URLSearchParams(window.location.search);
  var LANG = params.get('lang') === 'en' ? 'en' : 'zh';
  var TOKEN_KEY = 'aqrank.readToken';
  var token = initialToken();
  var STREAM = params.get('nostream') !== '1' && typeof window.EventSource === 'function' && !token;
  var POLL_MS = 60 * 1000;        /* today's ranking, revalidated with If-None-Match */
  var FULL_MS = 5 * 60 * 1000;    /* everything else: finalization sends no event */
  var DEFAULT_RADIUS_KM = 3;
  var KM_PER_DEG = 6371.0088 * Math.PI / 180;

  /* ------------------------------------------------------------------ labels */

  var T = {
    zh: {
      doc_title: '微型站空气质量排名与预警',
      skip: '跳到正文',
      title: '微型站空气质量排名与预警',
      subtitle: '微型站点每日排名 · 约谈名单 · 异常预警 · 国控点周边 3 公里',
      noscript: '本页面需要启用 JavaScript。',
      updated: '更新于',
      conn_connecting: '连接中',
      conn_live: '实时推送',
      conn_reconnecting: '重新连接中',
      conn_polling: '定时刷新',
      conn_down: '连接中断',
      lang_switch: 'English',
      token_h: '需要访问令牌',
      token_hint: '本服务设置了只读令牌（AQRANK_READ_TOKEN）。请输入令牌；它只保存在本浏览器中。',
      token_wrong: '令牌无效或已更换，请重新输入。',
      token_label: '只读令牌',
      token_submit: '进入',
      kpi_h: '概况',
      kpi_ranked: '今日参与排名',
      kpi_mean: '今日区域均值',
      kpi_alerts: '未处理预警',
      kpi_interview: '最新约谈名单',
      kpi_critical: '严重',
      kpi_pending: '待约谈',
      kpi_stations: '站',
      loading: '正在加载…',
      load_error: '数据加载失败，将自动重试。',
      today_h: '今日实时排名',
      provisional: '临时',
      final: '终审',
      meta_date: '日期',
      meta_hours: '已统计 {n} 小时',
      meta_metric: '排名指标',
      meta_mean: '区域均值',
      meta_generated: '数据时间',
      meta_standard: '评价标准',
      meta_finalized: '终审时间',
      meta_ranked: '参与排名 {n} 站',
      col_rank: '排名',
      col_station: '站点编号',
      col_name: '站点名称',
      col_site: '站点',
      col_unit: '责任单位',
      col_value: '排名值',
      col_pm25: 'PM2.5',
      col_pm10: 'PM10',
      col_aqi: 'AQI',
      col_hours: '有效小时',
      col_contact: '联系人',
      col_pct: '高于均值',
      col_consec: '连续上榜',
      col_status: '状态',
      col_note: '备注',
      col_reason: '原因',
      col_severity: '级别',
      col_type: '类型',
      col_opened: '开始时间',
      col_last: '最近触发',
      col_count: '次数',
      col_detail: '说明',
      col_mean: '均值',
      col_days_valid: '有效天数',
      col_days_insufficient: '数据不足天数',
      col_interview_days: '约谈天数',
      col_streak: '最长连续约谈',
      col_good_days: '优良天数（比例）',
      col_best_worst: '最好/最差',
      col_national: '国控点',
      interview_tag: '拟约谈',
      interview_tag_final: '约谈',
      prov_interview: '今日拟约谈（临时）',
      insufficient_h: '数据不足，未参与排名',
      insufficient_item: '{name}（{n} 小时）',
      no_today: '今日暂无排名数据。',
      no_stations: '尚未登记站点。',
      alerts_h: '预警',
      alerts_open: '未处理 {n} 条',
      alerts_ack: '已确认 {n} 条',
      no_alerts: '当前无未处理预警。',
      status_open: '未处理',
      status_acknowledged: '已确认',
      status_resolved: '已解除',
      map_h: '站点分布',
      map_caption: '站点分布图：按今日 AQI 着色，国控点周边 {r} 公里范围以虚线圆表示',
      map_meta: '国控点周边 {r} 公里',
      legend_national: '国控点',
      legend_micro: '微型站',
      legend_ring: '{r} 公里范围',
      legend_none: '无数据',
      map_zoom_ring: '缩放至 {r} 公里范围',
      map_zoom_all: '显示全部站点',
      map_unlabelled: '图中未标注名称',
      legend_src: '疑似来源站（序号为排名）',
      legend_wind: '风向（箭头指向下风）',
      src_h: '来源研判 · {name}',
      src_rose: '{p} 污染玫瑰图（浓度加权）：{from} 至 {to}',
      src_rose_caption: '{p} 浓度加权污染玫瑰图，{n} 个有风小时，主导来风扇区{dom}',
      src_calm: '静风 {n} 小时（{s}%）',
      src_dom: '主导来风扇区：{dom}',
      src_wind: '平均风向 {dir}，{speed} m/s（{n} 小时，静风 {calm} 小时）',
      src_wind_from: '风从{dir}方向吹来，平均 {speed} m/s',
      src_no_wind: '无风向数据：疑似来源站仅按与国控点的相关性排序。',
      src_all_calm: '全时段静风：疑似来源站仅按与国控点的相关性排序。',
      src_none: '上风向微站未见明显高值。',
      src_item: '{name}（{code}）· {sector}方向 {km} 公里 · 上风 {up} 小时 · 高出环内中位数 {pct}% · 领先 {lag} 小时（r={r}）',
      src_item_corr: '{name}（{code}）· {sector}方向 {km} 公里 · 领先 {lag} 小时（r={r}）· 全时段高出中位数 {pct}%',
      src_petal: '{sector}：{h} 小时，均值 {mean} µg/m³，占 {share}%，CPF {cpf}',
      src_speed: '风速',
      src_error: '来源研判暂不可用。',
      national_h: '国控点今日',
      latest_h: '最新终审排名',
      bulletin_print: '打印通报',
      bulletin_pdf: '下载 PDF',
      no_final: '尚无已终审的日期，暂无终审排名。',
      no_final_iv: '尚无已终审的日期，暂无约谈名单。',
      interviews_h: '约谈名单',
      interviews_of: '{date} 终审',
      no_interviews: '该日无约谈站点。',
      days: '{n} 天',
      summary_h: '近 30 日攻坚汇总',
      periods_h: '排名通报',
      per_day: '日', per_month: '月（本月累计）', per_year: '年（本年累计）',
      pm_composite: '综合指数', pm_change: '改善幅度', pm_pm25: 'PM2.5', pm_pm10: 'PM10', pm_aqi: 'AQI',
      by_station: '站点', by_unit: '街道',
      col_subject_unit: '街道（乡镇）', col_composite: '综合指数', col_largest: '首要贡献',
      col_subidx: '单项指数', col_valid_days: '有效天数', col_change: '变化幅度', col_base: '同期',
      per_meta: '{from} 至 {to}，{n} 天，有效天数要求 {m} 天',
      per_base: '对比 {year} 年同期',
      no_period_rows: '该时段暂无可排名的数据。',
      per_insufficient_h: '有效天数不足，未参与排名',
      per_insufficient_item: '{name}（{n} 天）',
      per_no_base_h: '无同期数据，未计算改善幅度',

      summary_meta: '{from} 至 {to}，已终审 {n} 天',
      no_summary: '尚无已终审的日期，暂无汇总。',
      no_summary_rows: '所选时段无排名数据。',
      reason_ranking: '排名末位',
      reason_insufficient_data: '数据不足',
      pending: '待约谈',
      interviewed: '已约谈',
      rectified: '已整改',
      critical: '严重',
      warning: '警告',
      info: '提示',
      offline: '离线',
      exceedance: '超标',
      spike: '突升',
      flatline: '恒值',
      inversion: '倒挂',
      hotspot: '国控点周边高值',
      interference: '疑似干扰',
      national_divergence: '国控点异常',
      auth_failures: '设备密码疑遭猜测',
      calibration_drift: '校准漂移',
      col_capture: '数据有效率',
      qc_excluded: '剔除 {n} 小时',
      qc_range: '超量程',
      qc_stuck: '数据恒定',
      qc_step: '突变',
      qc_inversion: 'PM2.5/PM10倒挂',
      qc_humidity: '高湿',
      qc_divergence: '偏离周边',
      qc_item: '{flag} {n} 小时',
      quality_h: '数据质量与校准',
      quality_station: '站点',
      quality_meta: '{from} 至 {to} · {p}',
      quality_capture: '数据有效率 {v}',
      quality_excluded: '质控剔除 {n} 小时',
      quality_none: '无质控剔除',
      quality_chart: '{name} {p} 小时值：原始值、校准后与国控点 {nat}；红点为质控剔除的小时',
      series_raw: '原始值',
      series_corrected: '校准后',
      series_national: '国控点',
      series_flagged: '质控剔除',
      calib_h: '校准记录',
      calib_none: '该站尚无已批准的校准。',
      col_version: '版本',
      col_reference: '参比站',
      col_valid: '有效期',
      col_formula: '公式',
      col_fit: 'n · R² · RMSE',
      calib_pending: '待批准',
      no_quality: '该时段无数据。',
      metric_pm10: 'PM10',
      metric_pm25: 'PM2.5',
      metric_aqi: 'AQI',
      metric_composite: '综合指数',
      detail_offline: '已 {h} 小时无数据（允许 {t} 小时）',
      detail_exceedance: '{p} 小时 IAQI {v}，超过 {t}',
      detail_generic: '{p}数值 {v}，阈值 {t}',
      footer: '空气质量指数按数据日期适用的标准计算（2026 年 3 月 1 日前 HJ 633-2012，此后 HJ 633-2026）；排名数值越小越好，末三位列入约谈名单。今日排名为临时结果，以次日终审为准。',
      levels: ['优', '良', '轻度污染', '中度污染', '重度污染', '严重污染'],
      no_value: '无数据',
      colon: '：',
      list_sep: '、'
    },
    en: {
      doc_title: 'Micro-station air quality ranking and alerts',
      skip: 'Skip to content',
      title: 'Micro-station air quality ranking and alerts',
      subtitle: 'Daily ranking · interview list · alerts · 3 km around national control points',
      noscript: 'This page needs JavaScript.',
      updated: 'Updated',
      conn_connecting: 'Connecting',
      conn_live: 'Live',
      conn_reconnecting: 'Reconnecting',
      conn_polling: 'Polling',
      conn_down: 'Disconnected',
      lang_switch: '中文',
      token_h: 'Access token required',
      token_hint: 'This service has a read token (AQRANK_READ_TOKEN). Enter it; it is kept in this browser only.',
      token_wrong: 'The token is not valid (or was changed); enter it again.',
      token_label: 'Read token',
      token_submit: 'Open',
      kpi_h: 'Overview',
      kpi_ranked: 'Ranked today',
      kpi_mean: 'District mean today',
      kpi_alerts: 'Open alerts',
      kpi_interview: 'Latest interview list',
      kpi_critical: 'critical',
      kpi_pending: 'pending',
      kpi_stations: 'stations',
      loading: 'Loading…',
      load_error: 'Could not load the data; retrying automatically.',
      today_h: "Today's ranking",
      provisional: 'Provisional',
      final: 'Final',
      meta_date: 'Date',
      meta_hours: '{n} hours so far',
      meta_metric: 'Metric',
      meta_mean: 'District mean',
      meta_generated: 'As of',
      meta_standard: 'Standard',
      meta_finalized: 'Finalized',
      meta_ranked: '{n} stations ranked',
      col_rank: 'Rank',
      col_station: 'Station',
      col_name: 'Name',
      col_site: 'Station',
      col_unit: 'Responsible unit',
      col_value: 'Value',
      col_pm25: 'PM2.5',
      col_pm10: 'PM10',
      col_aqi: 'AQI',
      col_hours: 'Valid hours',
      col_contact: 'Contact',
      col_pct: 'Above mean',
      col_consec: 'Days in a row',
      col_status: 'Status',
      col_note: 'Note',
      col_reason: 'Reason',
      col_severity: 'Severity',
      col_type: 'Type',
      col_opened: 'Opened',
      col_last: 'Last seen',
      col_count: 'Count',
      col_detail: 'Details',
      col_mean: 'Mean',
      col_days_valid: 'Valid days',
      col_days_insufficient: 'Insufficient days',
      col_interview_days: 'Interview days',
      col_streak: 'Longest streak',
      col_good_days: 'Good days (share)',
      col_best_worst: 'Best/worst',
      col_national: 'National point',
      interview_tag: 'Bottom 3',
      interview_tag_final: 'Interview',
      prov_interview: 'Provisional bottom three today',
      insufficient_h: 'Not enough data, not ranked',
      insufficient_item: '{name} ({n} h)',
      no_today: 'No ranking data for today yet.',
      no_stations: 'No stations registered yet.',
      alerts_h: 'Alerts',
      alerts_open: '{n} open',
      alerts_ack: '{n} acknowledged',
      no_alerts: 'No open alerts.',
      status_open: 'Open',
      status_acknowledged: 'Acknowledged',
      status_resolved: 'Resolved',
      map_h: 'Station map',
      map_caption: "Station map: coloured by today's AQI; dashed circles mark {r} km around national control points",
      map_meta: '{r} km around national points',
      legend_national: 'National point',
      legend_micro: 'Micro-station',
      legend_ring: '{r} km ring',
      legend_none: 'No data',
      map_zoom_ring: 'Zoom to the {r} km ring',
      map_zoom_all: 'Show every station',
      map_unlabelled: 'Not named on the map',
      legend_src: 'Likely contributor (number: its rank)',
      legend_wind: 'Wind (arrow points downwind)',
      src_h: 'Where the pollution comes from · {name}',
      src_rose: '{p} pollution rose (concentration-weighted): {from} to {to}',
      src_rose_caption: '{p} concentration-weighted pollution rose, {n} hours with wind, dominant sector {dom}',
      src_calm: 'calm {n} h ({s}%)',
      src_dom: 'Dominant sector: {dom}',
      src_wind: 'Mean wind from {dir}, {speed} m/s ({n} h, calm {calm} h)',
      src_wind_from: 'Wind from {dir}, mean {speed} m/s',
      src_no_wind: 'No wind readings: likely contributors ranked by correlation with the national point only.',
      src_all_calm: 'Calm throughout: likely contributors ranked by correlation with the national point only.',
      src_none: 'No upwind station stands out.',
      src_item: '{name} ({code}) · {sector} at {km} km · upwind {up} h · {pct}% above the ring median · leads by {lag} h (r = {r})',
      src_item_corr: '{name} ({code}) · {sector} at {km} km · leads by {lag} h (r = {r}) · {pct}% above the median overall',
      src_petal: '{sector}: {h} h, mean {mean} µg/m³, {share}% of the total, CPF {cpf}',
      src_speed: 'Wind speed',
      src_error: 'The source analysis is not available.',
      national_h: 'National points today',
      latest_h: 'Latest final ranking',
      bulletin_print: 'Print bulletin',
      bulletin_pdf: 'Download PDF',
      no_final: 'No day has been finalized yet.',
      no_final_iv: 'No day has been finalized yet, so no interview list.',
      interviews_h: 'Interview list',
      interviews_of: 'Final, {date}',
      no_interviews: 'No station on the list for that day.',
      days: '{n} d',
      summary_h: '30-day campaign summary',
      periods_h: 'Assessment ranking',
      per_day: 'Day', per_month: 'Month to date', per_year: 'Year to date',
      pm_composite: 'Composite index', pm_change: 'Improvement', pm_pm25: 'PM2.5', pm_pm10: 'PM10', pm_aqi: 'AQI',
      by_station: 'Stations', by_unit: 'Streets',
      col_subject_unit: 'Street / township', col_composite: 'Composite', col_largest: 'Largest',
      col_subidx: 'Sub-indices', col_valid_days: 'Valid days', col_change: 'Change', col_base: 'Baseline',
      per_meta: '{from} to {to}, {n} days, {m} valid days needed',
      per_base: 'against the same period of {year}',
      no_period_rows: 'Nothing to rank in this period yet.',
      per_insufficient_h: 'Too few valid days, not ranked',
      per_insufficient_item: '{name} ({n} d)',
      per_no_base_h: 'No baseline, no change computed',

      summary_meta: '{from} to {to}, {n} finalized days',
      no_summary: 'No finalized days yet, so no summary.',
      no_summary_rows: 'No ranking data in this period.',
      reason_ranking: 'Ranking',
      reason_insufficient_data: 'Insufficient data',
      pending: 'Pending',
      interviewed: 'Interviewed',
      rectified: 'Rectified',
      critical: 'Critical',
      warning: 'Warning',
      info: 'Info',
      offline: 'Offline',
      exceedance: 'Exceedance',
      spike: 'Spike',
      flatline: 'Flatline',
      inversion: 'Inversion (PM2.5 > PM10)',
      hotspot: 'Hotspot near national point',
      interference: 'Suspected interference',
      national_divergence: 'National point anomaly',
      auth_failures: 'Device password guessing',
      calibration_drift: 'Calibration drift',
      col_capture: 'Data capture',
      qc_excluded: '{n} h excluded',
      qc_range: 'out of range',
      qc_stuck: 'stuck',
      qc_step: 'step',
      qc_inversion: 'PM2.5 > PM10',
      qc_humidity: 'humid',
      qc_divergence: 'divergent',
      qc_item: '{flag} {n} h',
      quality_h: 'Data quality and calibration',
      quality_station: 'Station',
      quality_meta: '{from} to {to} · {p}',
      quality_capture: 'Data capture {v}',
      quality_excluded: '{n} h excluded by quality control',
      quality_none: 'Nothing excluded',
      quality_chart: '{name} hourly {p}: raw, corrected and national point {nat}; red dots are hours quality control excluded',
      series_raw: 'Raw',
      series_corrected: 'Corrected',
      series_national: 'National point',
      series_flagged: 'Excluded',
      calib_h: 'Calibrations',
      calib_none: 'No approved calibration for this station.',
      col_version: 'Version',
      col_reference: 'Reference',
      col_valid: 'In force',
      col_formula: 'Formula',
      col_fit: 'n · R² · RMSE',
      calib_pending: 'pending',
      no_quality: 'No data in this period.',
      metric_pm10: 'PM10',
      metric_pm25: 'PM2.5',
      metric_aqi: 'AQI',
      metric_composite: 'Composite index',
      detail_offline: 'No data for {h} h (allowed {t} h)',
      detail_exceedance: 'Hourly {p} IAQI {v}, above {t}',
      detail_generic: '{p}value {v}, threshold {t}',
      footer: 'AQI per the standard in force on the data\'s date (HJ 633-2012 before 2026-03-01, HJ 633-2026 from then on). Lower values rank better; the bottom three are summoned for an interview. Today\'s ranking is provisional until the day is finalized.',
      levels: ['Excellent', 'Good', 'Lightly polluted', 'Moderately polluted', 'Heavily polluted', 'Severely polluted'],
      no_value: 'No data',
      colon: ': ',
      list_sep: ', '
    }
  };

  function t(key, vars) {
    var s = T[LANG][key];
    if (s === undefined) s = T.zh[key];
    if (s === undefined) return key;
    if (vars) {
      s = String(s).replace(/\{(\w+)\}/g, function (m, k) {
        return vars[k] === undefined || vars[k] === null ? '—' : String(vars[k]);
      });
    }
    return s;
  }

  /* HJ 633-2012 levels: upper AQI bound, colour. Used where the API gives an AQI but no colour
   * (national points) and for the legend. */
  var LEVELS = [[50, '#00E400'], [100, '#FFFF00'], [150, '#FF7E00'], [200, '#FF0000'],
                [300, '#99004C'], [Infinity, '#7E0023']];
  var NO_DATA_COLOR = '#B8BEC6';

  function levelOf(aqi) {
    for (var i = 0; i < LEVELS.length; i++) if (aqi <= LEVELS[i][0]) return i;
    return LEVELS.length - 1;
  }

  /* Black or white text on a data colour, whichever contrasts more. */
  function inkOn(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex || '');
    if (!m) return '#111';
    var n = parseInt(m[1], 16);
    var c = [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    var lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? '#111' : '#fff';
  }

  function safeColor(hex) {
    return /^#[0-9a-f]{3,8}$/i.test(hex || '') ? hex : NO_DATA_COLOR;
  }

  /* ------------------------------------------------------------------ DOM helpers */

  var SVG_NS = 'http://www.w3.org/2000/svg';

  function append(node, kids) {
    if (kids === undefined || kids === null || kids === false) return node;
    if (!Array.isArray(kids)) kids = [kids];
    kids.forEach(function (k) {
      if (k === undefined || k === null || k === false) return;
      if (Array.isArray(k)) { append(node, k); return; }
      node.appendChild(typeof k === 'object' ? k : document.createTextNode(String(k)));
    });
    return node;
  }

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === 'class') e.className = v;
      else if (k === 'style') Object.keys(v).forEach(function (p) { e.style.setProperty(p, v[p]); });
      else e.setAttribute(k, v === true ? '' : String(v));
    });
    return append(e, kids);
  }

  function sv(tag, attrs, kids) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, String(attrs[k]));
    });
    return append(e, kids);
  }

  function $(id) { return document.getElementById(id); }

  function fill(id, kids) {
    var node = $(id);
    while (node.firstChild) node.removeChild(node.firstChild);
    append(node, kids);
  }

  function empty(text) { return el('p', {class: 'empty'}, text); }

  function num(v) { return v === null || v === undefined ? '—' : String(v); }

  /* "2017-12-07T15:30:00+08:00" → "2017-12-07 15:30" (the daemon's local time, as given). */
  function when(s) {
    if (!s) return '—';
    var m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(s);
    return m ? m[1] + ' ' + m[2] : String(s);
  }

  function shortWhen(s, day) {
    var w = when(s);
    return day && w.indexOf(day + ' ') === 0 ? w.slice(11) : w;
  }

  function addDays(date, n) {
    var d = new Date(date + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function metricLabel(m) { return t('metric_' + m); }

  function metricUnit(m) { return m === 'pm10' || m === 'pm25' ? 'µg/m³' : ''; }

  /* A table with a caption (screen readers) and real header cells. */
  function table(caption, heads, rows, cls) {
    var thead = el('thead', null, el('tr', null, heads.map(function (h) {
      var label = typeof h === 'string' ? h : h[0];
      return el('th', {scope: 'col', class: typeof h === 'string' ? null : h[1]}, label);
    })));
    return el('div', {class: 'table-wrap'},
      el('table', {class: 'data ' + (cls || '')}, [el('caption', {class: 'vh'}, caption), thead,
        el('tbody', null, rows)]));
  }

  function aqiBadge(aqi, color, category) {
    if (aqi === null || aqi === undefined) return el('span', {class: 'aqi aqi-none'}, '—');
    var c = safeColor(color);
    return el('span', {class: 'aqi-cell', title: category || null}, [
      el('span', {class: 'aqi', style: {'background-color': c, color: inkOn(c)}}, String(aqi)),
      category ? el('span', {class: 'aqi-cat'}, category) : null
    ]);
  }

  /* ------------------------------------------------------------------ fetching */

  /* ------------------------------------------------------------------ read token */

  function initialToken() {
    var found = /(?:^#|&)token=([^&]*)/.exec(window.location.hash);
    var tok = null;
    if (found) {
      tok = decodeURIComponent(found[1]);
      try { window.localStorage.setItem(TOKEN_KEY, tok); } catch (e) { /* private mode: this visit only */ }
      /* not left on screen or in the history */
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    } else {
      try { tok = window.localStorage.getItem(TOKEN_KEY); } catch (e) { tok = null; }
    }
    return tok || null;
  }

  /* A 401: the token is missing or no longer valid. Ask for it (once per refusal). */
  function askForToken() {
    var wrong = !!token;
    if (wrong) {
      token = null;
      try { window.localStorage.removeItem(TOKEN_KEY); } catch (e) { /* nothing stored */ }
    }
    if (es) { es.close(); es = null; }
    STREAM = false;
    var box = $('auth');
    $('auth-msg').textContent = t(wrong ? 'token_wrong' : 'token_hint');
    box.hidden = false;
  }

  function setupTokenForm() {
    $('auth-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var value = $('auth-token').value.trim();
      if (!value) return;
      token = value;
      try { window.localStorage.setItem(TOKEN_KEY, token); } catch (e) { /* this visit only */ }
      $('auth-token').value = '';
      $('auth').hidden = true;
      cache = {};
      setConn('polling');
      refreshAll();
    });
  }

  var cache = {};   /* url → {etag, data} */
  var state = {today: null, latest: undefined, interviews: null, summary: null, alerts: null,
               acknowledged: null, stations: null, sources: {}, quality: null, qualityStation: null};
  var failed = {};

  /* GET a JSON document, revalidating with the last ETag; a 304 gives the cached copy.
   * Resolves {data, changed}; a 404 no_data resolves {data: null, noData: true}. */
  function getJSON(path) {
    var url = API + path;
    var entry = cache[url];
    var headers = {Accept: 'application/json'};
    if (entry && entry.etag) headers['If-None-Match'] = entry.etag;
    if (token) headers.Authorization = 'Bearer ' + token;
    return fetch(url, {headers: headers, cache: 'no-store', credentials: 'same-origin'}).then(function (r) {
      if (r.status === 304 && entry) return {data: entry.data, changed: false};
      if (r.status === 401) {
        if ($('auth').hidden) askForToken();
        throw new Error('HTTP 401');
      }
      if (r.status === 404) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (body && body.error && (body.error.code === 'no_data' || body.error.code === 'not_found')) {
            delete cache[url];
            return {data: null, noData: true, changed: true};
          }
          throw new Error('HTTP 404');
        });
      }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      var etag = r.headers.get('ETag');
      return r.json().then(function (data) {
        cache[url] = {etag: etag, data: data};
        return {data: data, changed: true};
      });
    });
  }

  function langQuery(sep) { return LANG === 'en' ? sep + 'lang=en' : ''; }

  function markUpdated() {
    var d = new Date();
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    var node = $('updated');
    node.textContent = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
    node.setAttribute('datetime', d.toISOString());
  }

  function loadToday() {
    return getJSON('/ranking/today' + langQuery('?')).then(function (r) {
      failed.today = false;
      var dateChanged = state.today && r.data && state.today.date !== r.data.date;
      state.today = r.data;
      return {changed: r.changed, dateChanged: dateChanged};
    }, function (e) { failed.today = true; throw e; });
  }

  function loadStations() {
    return getJSON('/stations').then(function (r) {
      failed.stations = false;
      state.stations = (r.data && r.data.stations) || [];
    }, function (e) { failed.stations = true; throw e; });
  }

  function loadAlerts() {
    return Promise.all([getJSON('/alerts?status=open&limit=200'),
                        getJSON('/alerts?status=acknowledged&limit=200')]).then(function (rs) {
      failed.alerts = false;
      state.alerts = (rs[0].data && rs[0].data.alerts) || [];
      state.acknowledged = (rs[1].data && rs[1].data.alerts) || [];
    }, function (e) { failed.alerts = true; throw e; });
  }

  /* Where each national point's pollution comes from (the last 24 h): at most four points. */
  function loadSources() {
    var points = (state.stations || []).filter(function (s) {
      return s.kind === 'national' && s.active !== false;
    }).slice(0, 4);
    return Promise.all(points.map(function (p) {
      return getJSON('/national/' + encodeURIComponent(p.code) + '/sources').then(function (r) {
        return [p.code, r.data];
      }, function () { return [p.code, null]; });
    })).then(function (pairs) {
      var out = {};
      pairs.forEach(function (pc) { out[pc[0]] = pc[1]; });
      state.sources = out;
    });
  }

  /* The latest final day, then its interview list and the 30 days ending there. */
  function loadFinal() {
    return getJSON('/ranking/latest' + langQuery('?')).then(function (r) {
      failed.latest = false;
      state.latest = r.data;
      if (!r.data) {
        state.interviews = null;
        state.summary = null;
        return null;
      }
      var day = r.data.date;
      return Promise.all([
        getJSON('/interviews?date=' + encodeURIComponent(day)).then(function (ri) {
          failed.interviews = false;
          state.interviews = (ri.data && ri.data.interviews) || [];
        }, function () { failed.interviews = true; }),
        getJSON('/ranking/summary?from=' + addDays(day, -29) + '&to=' + day).then(function (rs) {
          failed.summary = false;
          state.summary = rs.data;
        }, function () { failed.summary = true; })
      ]);
    }, function (e) { failed.latest = true; throw e; });
  }

  /* The assessment ranking's switches: period (day = the latest final day, month and year to
   * date), metric, stations or streets; kept in the address (?period=&pmetric=&by=) so a view
   * can be bookmarked. */
  var PERIODS = ['day', 'month', 'year'];
  var PMETRICS = ['composite', 'change', 'pm25', 'pm10', 'aqi'];
  var mapView = {zoom: params.get('map') === 'ring' ? 'ring' : 'all'};
  var measurer = null; /* a hidden SVG the map measures its labels in */
  var periodView = {
    period: PERIODS.indexOf(params.get('period')) >= 0 ? params.get('period') : 'month',
    metric: PMETRICS.indexOf(params.get('pmetric')) >= 0 ? params.get('pmetric') : 'composite',
    by: params.get('by') === 'unit' ? 'unit' : 'station'
  };

  function periodPath() {
    var metric = periodView.metric === 'change' ? 'composite_change' : periodView.metric;
    var q = '?metric=' + metric + '&by=' + periodView.by;
    if (periodView.period === 'year') return '/ranking/year-to-date' + q;
    if (periodView.period === 'month') return '/ranking/month-to-date' + q;
    var day = state.latest ? state.latest.date : (state.today ? state.today.date : null);
    return day ? '/ranking/' + day + q : null;
  }

  function loadPeriod() {
    var path = periodPath();
    if (!path) { state.period = null; return Promise.resolve(null); }
    return getJSON(path).then(function (r) {
      failed.period = false;
      state.period = r.data;
    }, function (e) { failed.period = true; throw e; });
  }

  /* ------------------------------------------------------------------ rendering */

  function renderKpis() {
    var td = state.today;
    var micro = (state.stations || []).filter(function (s) { return s.kind === 'micro' && s.active !== false; });
    fill('kpi-ranked', td ? [String(td.stations_ranked), el('small', null, ' / ' + micro.length + ' ' + t('kpi_stations'))] : '—');
    fill('kpi-mean', td && td.district_mean !== null && td.district_mean !== undefined
      ? [String(td.district_mean), el('small', null, ' ' + (metricUnit(td.metric) || metricLabel(td.metric)))] : '—');
    if (state.alerts) {
      var crit = state.alerts.filter(function (a) { return a.severity === 'critical'; }).length;
      fill('kpi-alerts', [String(state.alerts.length),
        crit ? el('small', {class: 'kpi-crit'}, ' ' + t('kpi_critical') + ' ' + crit) : null]);
    }
    if (state.latest === null) fill('kpi-interview', '—');
    else if (state.interviews) {
      var pending = state.interviews.filter(function (i) { return i.status === 'pending'; }).length;
      fill('kpi-interview', [String(state.interviews.length),
        el('small', null, ' ' + t('kpi_pending') + ' ' + pending)]);
    }
  }

  /* The AQI standard and the limits a day was judged by (HJ 633-2026 / GB 3095-2026 from
   * 2026-03-01): officials compare with the provincial platform, which names them too. */
  function standardText(day) {
    if (!day || !day.standard) return null;
    return t('meta_standard') + ' ' + day.standard.replace('HJ633', 'HJ 633') +
      (day.limits ? ' · ' + day.limits.replace('GB3095', 'GB 3095') : '');
  }

  function metaLine(id, parts) {
    fill(id, parts.filter(Boolean).map(function (p) {
      return el('span', {class: 'meta-item'}, p);
    }));
  }

  function renderToday() {
    var td = state.today;
    if (!td) {
      fill('today-body', empty(failed.today ? t('load_error') : t('loading')));
      return;
    }
    var unit = metricUnit(td.metric);
    metaLine('today-meta', [
      t('meta_date') + ' ' + td.date,
      t('meta_hours', {n: td.hours_elapsed}),
      t('meta_metric') + ' ' + metricLabel(td.metric),
      td.district_mean !== null && td.district_mean !== undefined
        ? t('meta_mean') + ' ' + td.district_mean + (unit ? ' ' + unit : '') : null,
      t('meta_generated') + ' ' + when(td.generated_at),
      standardText(td)
    ]);
    var rows = td.ranking || [];
    var parts = [];
    if (!rows.length) {
      parts.push(empty(t('no_today')));
    } else {
      parts.push(rankingTable(rows, td.metric, t('today_h') + ' ' + td.date, true));
    }
    var iv = td.interview || [];
    if (iv.length) {
      parts.push(el('p', {class: 'note note-iv'}, [el('strong', null, t('prov_interview') + t('colon')),
        iv.map(function (e) { return e.name || e.station; }).join(t('list_sep'))]));
    }
    var ins = td.insufficient || [];
    if (ins.length) {
      parts.push(el('p', {class: 'note'}, [el('strong', null, t('insufficient_h') + t('colon')),
        ins.map(function (s) { return t('insufficient_item', {name: s.name || s.station, n: s.valid_hours}); })
          .join(t('list_sep'))]));
    }
    parts.push(nationalTable(td));
    fill('today-body', parts);
  }

  /* Today's values at the national control points (never ranked). */
  function nationalTable(td) {
    var nat = (td && td.national) || [];
    if (!nat.length) return null;
    var names = {};
    (state.stations || []).forEach(function (s) { names[s.code] = s.name; });
    var heads = [t('col_national'), [t('col_pm25'), 'num'], [t('col_pm10'), 'num'], t('col_aqi'),
      [t('col_hours'), 'num']];
    return [el('h3', {class: 'sub-h'}, t('national_h')), table(t('national_h'), heads, nat.map(function (n) {
      var lv = n.aqi === null || n.aqi === undefined ? null : levelOf(n.aqi);
      return el('tr', {'data-station': n.station}, [
        el('td', {class: 'name'}, [names[n.station] || n.station, el('span', {class: 'code sub-code'}, n.station)]),
        el('td', {class: 'num'}, num(n.pm25)),
        el('td', {class: 'num'}, num(n.pm10)),
        el('td', null, aqiBadge(n.aqi, lv === null ? null : LEVELS[lv][1], lv === null ? null : t('levels')[lv])),
        el('td', {class: 'num'}, num(n.valid_hours))
      ]);
    }), 'national')];
  }

  /* "87.5%", and how many hours quality control excluded (why, on hover). */
  function reasonsText(reasons) {
    return Object.keys(reasons || {}).map(function (f) {
      return t('qc_item', {flag: t('qc_' + f), n: reasons[f]});
    }).join(t('list_sep'));
  }

  function captureCell(q) {
    if (!q) return '—';
    var pct = q.data_capture_pct === null || q.data_capture_pct === undefined ? '—' : q.data_capture_pct + '%';
    if (!q.excluded_hours) return pct;
    return [pct, el('span', {class: 'tag tag-qc', title: reasonsText(q.reasons)}, t('qc_excluded', {n: q.excluded_hours}))];
  }

  function rankingTable(rows, metric, caption, provisional) {
    var unit = metricUnit(metric);
    var heads = [[t('col_rank'), 'num'], [t('col_station'), 'opt'], t('col_name'), [t('col_unit'), 'opt'],
      [t('col_value'), 'num'], [t('col_pm25'), 'num'],
      [t('col_pm10'), 'num'], t('col_aqi'), [t('col_hours'), 'num'], [t('col_capture'), 'num']];
    return table(caption, heads, rows.map(function (r) {
      var hot = r.interview;
      return el('tr', {class: hot ? 'row-iv' : null, 'data-station': r.station}, [
        el('td', {class: 'num rank'}, num(r.rank)),
        el('td', {class: 'code opt'}, r.station),
        el('td', {class: 'name'}, [r.name || '', hot ? el('span', {class: 'tag tag-iv'}, t(provisional ? 'interview_tag' : 'interview_tag_final')) : null]),
        el('td', {class: 'unit opt'}, r.unit || '—'),
        el('td', {class: 'num strong'}, num(r.value)),
        el('td', {class: 'num'}, num(r.pm25)),
        el('td', {class: 'num'}, num(r.pm10)),
        el('td', null, aqiBadge(r.aqi, r.color, r.category)),
        el('td', {class: 'num'}, num(r.valid_hours)),
        el('td', {class: 'num capture'}, captureCell(r.quality))
      ]);
    }), 'ranking');
  }

  function renderLatest() {
    if (state.latest === undefined) {
      fill('latest-body', empty(failed.latest ? t('load_error') : t('loading')));
      return;
    }
    if (state.latest === null) {
      fill('latest-meta', []);
      fill('latest-body', empty(t('no_final')));
      return;
    }
    var ld = state.latest;
    metaLine('latest-meta', [
      t('meta_date') + ' ' + ld.date,
      t('meta_metric') + ' ' + metricLabel(ld.metric),
      t('meta_ranked', {n: ld.stations_ranked}),
      ld.district_mean !== null && ld.district_mean !== undefined
        ? t('meta_mean') + ' ' + ld.district_mean + (metricUnit(ld.metric) ? ' ' + metricUnit(ld.metric) : '') : null,
      standardText(ld)
    ]);
    var rows = ld.ranking || [];
    fill('latest-body', [bulletinActions(ld.date),
      rows.length ? rankingTable(rows, ld.metric, t('latest_h') + ' ' + ld.date, false) : empty(t('no_today'))]);
  }

  /* The day's bulletin (通报): the printable page, printed at once, or the PDF. With a read token
   * a plain link cannot carry it, so the document is fetched with the header and opened from a
   * blob. */
  function openBulletin(date, format) {
    var path = '/api/v1/bulletins/' + encodeURIComponent(date) + '?format=' + format + langQuery('&');
    var print = function (w) {
      if (format !== 'html' || !w) return;
      w.addEventListener('load', function () { w.focus(); w.print(); });
    };
    if (!token) {
      print(window.open(path, '_blank'));
      return;
    }
    fetch(path, {headers: {Authorization: 'Bearer ' + token}, credentials: 'same-origin'}).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.blob();
    }).then(function (blob) {
      print(window.open(URL.createObjectURL(blob), '_blank'));
    }).catch(function () { /* the next poll shows the error state */ });
  }

  function bulletinActions(date) {
    var mk = function (format, label) {
      var b = el('button', {type: 'button', class: 'bulletin-btn', 'data-bulletin': format}, t(label));
      b.addEventListener('click', function () { openBulletin(date, format); });
      return b;
    };
    return el('div', {class: 'bulletin-actions'}, [mk('html', 'bulletin_print'), mk('pdf', 'bulletin_pdf')]);
  }

  function statusTag(s) {
    return el('span', {class: 'istatus status-' + (s || 'pending')}, t(s || 'pending'));
  }

  function renderInterviews() {
    if (state.latest === undefined) {
      fill('interviews-body', empty(failed.latest ? t('load_error') : t('loading')));
      return;
    }
    if (state.latest === null) {
      fill('interviews-meta', []);
      fill('interviews-body', empty(t('no_final_iv')));
      return;
    }
    metaLine('interviews-meta', [t('interviews_of', {date: state.latest.date})]);
    var list = state.interviews;
    if (!list) {
      fill('interviews-body', empty(failed.interviews ? t('load_error') : t('loading')));
      return;
    }
    if (!list.length) {
      fill('interviews-body', empty(t('no_interviews')));
      return;
    }
    var heads = [[t('col_rank'), 'num'], t('col_name'), [t('col_unit'), 'opt'], [t('col_value'), 'num'],
      [t('col_consec'), 'num'], t('col_status')];
    fill('interviews-body', table(t('interviews_h') + ' ' + state.latest.date, heads, list.map(function (i) {
      var rank = i.reason === 'insufficient_data' ? t('reason_insufficient_data')
        : num(i.rank) + (i.of ? '/' + i.of : '');
      var pct = i.pct_above_mean !== null && i.pct_above_mean !== undefined
        ? el('span', {class: 'sub-val'}, (i.pct_above_mean >= 0 ? '+' : '') + i.pct_above_mean + '%') : null;
      return el('tr', {'data-station': i.station}, [
        el('td', {class: 'num rank'}, rank),
        el('td', {class: 'name'}, [i.name || i.station, el('span', {class: 'code sub-code'}, i.station),
          i.note ? el('span', {class: 'iv-note'}, i.note) : null]),
        el('td', {class: 'unit opt'}, [i.unit || '—', i.contact_person ? el('span', {class: 'sub-val'}, i.contact_person) : null]),
        el('td', {class: 'num strong'}, [num(i.value), pct]),
        el('td', {class: 'num'}, [el('span', {class: i.consecutive_days > 1 ? 'streak streak-hot' : 'streak'},
          t('days', {n: num(i.consecutive_days)}))]),
        el('td', null, statusTag(i.status))
      ]);
    }), 'interviews'));
  }

  var SEVERITY_ORDER = {critical: 0, warning: 1, info: 2};

  function alertTime(a) {
    var v = Date.parse(a.opened_at || '');
    return isNaN(v) ? 0 : v;
  }

  function sortAlerts(list) {
    return list.slice().sort(function (a, b) {
      var sa = SEVERITY_ORDER[a.severity] !== undefined ? SEVERITY_ORDER[a.severity] : 3;
      var sb = SEVERITY_ORDER[b.severity] !== undefined ? SEVERITY_ORDER[b.severity] : 3;
      if (sa !== sb) return sa - sb;
      return alertTime(b) - alertTime(a) || (b.id || 0) - (a.id || 0);
    });
  }

  function fmtNum(v) {
    if (typeof v !== 'number') return num(v);
    return Math.round(v * 10) / 10 + '';
  }

  function alertDetail(a) {
    if (LANG === 'en' && a.message) {
      var m = String(a.message);
      var prefix = a.station + (a.station_name ? ' ' + a.station_name : '') + ': ';
      return m.indexOf(prefix) === 0 ? m.slice(prefix.length) : m;
    }
    if (a.type === 'offline' && typeof a.value === 'number' && typeof a.threshold === 'number') {
      return t('detail_offline', {h: fmtNum(a.value / 3600), t: fmtNum(a.threshold / 3600)});
    }
    if (a.type === 'exceedance') {
      return t('detail_exceedance', {p: a.pollutant || '', v: fmtNum(a.value), t: fmtNum(a.threshold)});
    }
    return t('detail_generic', {p: a.pollutant ? a.pollutant + ' ' : '', v: fmtNum(a.value), t: fmtNum(a.threshold)});
  }

  function renderAlerts() {
    if (!state.alerts) {
      fill('alerts-body', empty(failed.alerts ? t('load_error') : t('loading')));
      return;
    }
    var open = sortAlerts(state.alerts);
    var ack = sortAlerts(state.acknowledged || []);
    metaLine('alerts-meta', [t('alerts_open', {n: open.length}), ack.length ? t('alerts_ack', {n: ack.length}) : null]);
    if (!open.length && !ack.length) {
      fill('alerts-body', empty(t('no_alerts')));
      return;
    }
    var day = state.today && state.today.date;
    var heads = [t('col_severity'), t('col_type'), t('col_name'), t('col_opened'), [t('col_count'), 'num opt'],
      t('col_detail'), t('col_status')];
    var rows = open.concat(ack).map(function (a) {
      var sev = SEVERITY_ORDER[a.severity] !== undefined ? a.severity : 'info';
      return el('tr', {class: 'arow arow-' + sev + (a.status === 'acknowledged' ? ' row-ack' : ''),
                       'data-alert': a.type, 'data-station': a.station}, [
        el('td', null, el('span', {class: 'sev sev-' + sev}, t(sev))),
        el('td', {class: 'atype'}, t(a.type)),
        el('td', {class: 'name'}, [a.station_name || a.station, el('span', {class: 'code sub-code'}, a.station)]),
        el('td', {class: 'time'}, [el('time', {datetime: a.opened_at}, shortWhen(a.opened_at, day))]),
        el('td', {class: 'num opt'}, num(a.count)),
        el('td', {class: 'detail'}, alertDetail(a)),
        el('td', null, el('span', {class: 'astatus astatus-' + a.status}, t('status_' + a.status)))
      ]);
    });
    fill('alerts-body', table(t('alerts_h'), heads, rows, 'alerts'));
  }

  function segment(name, values, current, labelOf) {
    return el('div', {class: 'seg', role: 'group', 'data-switch': name}, values.map(function (v) {
      var b = el('button', {type: 'button', 'aria-pressed': String(v === current), 'data-value': v}, labelOf(v));
      b.addEventListener('click', function () {
        periodView[name] = v;
        var p = new URLSearchParams(window.location.search);
        p.set(name === 'metric' ? 'pmetric' : name, v);
        if (window.history && window.history.replaceState)
          window.history.replaceState(null, '', window.location.pathname + '?' + p.toString());
        renderPeriodSwitches();
        settle(loadPeriod()).then(function () { renderPeriods(); });
      });
      return b;
    }));
  }

  function renderPeriodSwitches() {
    fill('periods-switches', [
      segment('period', PERIODS, periodView.period, function (v) { return t('per_' + v); }),
      segment('metric', PMETRICS, periodView.metric, function (v) { return t('pm_' + v); }),
      segment('by', ['station', 'unit'], periodView.by, function (v) { return t('by_' + v); })
    ]);
  }

  function subIndices(r) {
    var labels = {pm25: 'PM2.5', pm10: 'PM10', so2: 'SO2', no2: 'NO2', co: 'CO', o3: 'O3'};
    var si = r.sub_indices || {};
    return Object.keys(labels).filter(function (k) { return si[k] !== null && si[k] !== undefined; })
      .map(function (k) { return labels[k] + ' ' + si[k]; }).join(' · ');
  }

  function renderPeriods() {
    renderPeriodSwitches();
    var pr = state.period;
    if (!pr) {
      fill('periods-body', empty(failed.period ? t('load_error') : t('loading')));
      return;
    }
    var change = pr.metric && pr.metric.indexOf('_change') > 0;
    metaLine('periods-meta', [t('per_meta', {from: pr.from, to: pr.to, n: pr.days, m: pr.min_valid_days}),
      change && pr.baseline ? t('per_base', {year: pr.baseline.year}) : null, standardText(pr)]);
    var rows = pr.ranking || [];
    var parts = [rows.length ? periodTable(pr, rows, change) : empty(t('no_period_rows'))];
    var ins = pr.insufficient || [];
    if (ins.length) {
      parts.push(el('p', {class: 'note', 'data-list': 'insufficient'}, [el('strong', null, t('per_insufficient_h') + t('colon')),
        ins.map(function (r) { return t('per_insufficient_item', {name: subjectName(pr, r), n: validDays(r)}); })
          .join(t('list_sep'))]));
    }
    var nob = pr.no_baseline || [];
    if (change && nob.length) {
      parts.push(el('p', {class: 'note', 'data-list': 'no_baseline'}, [el('strong', null, t('per_no_base_h') + t('colon')),
        nob.map(function (r) { return subjectName(pr, r); }).join(t('list_sep'))]));
    }
    fill('periods-body', parts);
  }

  function subjectName(pr, r) {
    return pr.by === 'unit' ? (r.unit || '—') : (r.name || r.station);
  }

  /* A subject's valid days: those of its scarcer pollutant, which is what decides whether it ranks. */
  function validDays(r) {
    var vd = r.valid_days || {};
    var days = Object.keys(vd).map(function (k) { return vd[k]; }).filter(function (v) { return typeof v === 'number'; });
    return days.length ? Math.min.apply(null, days) : 0;
  }

  function periodTable(pr, rows, change) {
    var unitView = pr.by === 'unit';
    var heads = [[t('col_rank'), 'num'], unitView ? t('col_subject_unit') : t('col_site'),
      [change ? t('col_change') : t('col_value'), 'num'], [t('col_composite'), 'num'], t('col_largest'),
      t('col_subidx'), [t('col_valid_days'), 'num']];
    if (change) heads.push([t('col_base'), 'num']);
    return table(t('periods_h'), heads, rows.map(function (r) {
      var who = unitView
        ? [r.unit || '—', el('span', {class: 'code sub-code'}, (r.stations || []).join(' '))]
        : [r.name || r.station, el('span', {class: 'code sub-code'}, r.station)];
      var cells = [
        el('td', {class: 'num rank'}, num(r.rank)),
        el('td', {class: 'name'}, who),
        el('td', {class: 'num strong'}, change && r.change_pct !== null ? (r.change_pct > 0 ? '+' : '') + r.change_pct + '%' : num(r.value)),
        el('td', {class: 'num'}, num(r.composite)),
        el('td', null, r.largest || '—'),
        el('td', {class: 'subidx'}, subIndices(r) || '—'),
        el('td', {class: 'num'}, num(validDays(r)))
      ];
      if (change) cells.push(el('td', {class: 'num'}, num(r.baseline_value)));
      return el('tr', {'data-subject': unitView ? r.unit : r.station, class: r.interview ? 'row-iv' : null}, cells);
    }), 'periods');
  }

  function renderSummary() {
    if (state.latest === undefined) {
      fill('summary-body', empty(failed.latest ? t('load_error') : t('loading')));
      return;
    }
    if (state.latest === null) {
      fill('summary-meta', []);
      fill('summary-body', empty(t('no_summary')));
      return;
    }
    var s = state.summary;
    if (!s) {
      fill('summary-body', empty(failed.summary ? t('load_error') : t('loading')));
      return;
    }
    metaLine('summary-meta', [t('summary_meta', {from: s.from, to: s.to, n: s.days_finalized}),
      t('meta_metric') + ' ' + metricLabel(s.metric),
      s.standards && s.standards.length ? t('meta_standard') + ' ' + s.standards.join(' / ') : null]);
    var rows = s.stations || [];
    if (!rows.length) {
      fill('summary-body', empty(t('no_summary_rows')));
      return;
    }
    var unit = metricUnit(s.metric);
    var heads = [[t('col_rank'), 'num'], t('col_site'),
      [t('col_mean') + (unit ? ' (' + unit + ')' : ''), 'num'], [t('col_days_valid'), 'num'],
      [t('col_interview_days'), 'num'], [t('col_streak'), 'num'], [t('col_good_days'), 'num']];
    fill('summary-body', table(t('summary_h'), heads, rows.map(function (r) {
      return el('tr', {'data-station': r.station, class: r.interview_days > 0 ? 'row-warn' : null}, [
        el('td', {class: 'num rank'}, num(r.rank)),
        el('td', {class: 'name'}, [r.name || r.station, el('span', {class: 'code sub-code'}, r.station)]),
        el('td', {class: 'num strong'}, num(r.mean_value)),
        el('td', {class: 'num'}, num(r.days_valid)),
        el('td', {class: 'num'}, num(r.interview_days)),
        el('td', {class: 'num'}, num(r.longest_streak)),
        el('td', {class: 'num'}, r.good_days_pct === null || r.good_days_pct === undefined ? '—'
          : r.good_days + ' (' + r.good_days_pct + '%)')
      ]);
    }), 'summary'));
  }


  /* ------------------------------------------------------------------ data quality */

  /* The station the quality panel shows: ?station=, the one chosen in its list, else today's
   * ranked station with the most hours excluded, else today's last, else the first micro. */
  function pickQualityStation() {
    var micro = (state.stations || []).filter(function (s) { return s.kind === 'micro' && s.active !== false; });
    var known = function (code) { return micro.some(function (s) { return s.code === code; }); };
    if (state.qualityStation && known(state.qualityStation)) return state.qualityStation;
    var asked = params.get('station');
    if (asked && known(asked)) return asked;
    var rows = ((state.today && state.today.ranking) || []).concat((state.today && state.today.insufficient) || []);
    var most = null;
    rows.forEach(function (r) {
      var n = r.quality ? r.quality.excluded_hours : 0;
      if (n > 0 && (!most || n > most.n)) most = {code: r.station, n: n};
    });
    if (most) return most.code;
    var ranked = (state.today && state.today.ranking) || [];
    if (ranked.length) return ranked[ranked.length - 1].station;
    return micro.length ? micro[0].code : null;
  }

  function loadQuality() {
    var code = pickQualityStation();
    state.qualityStation = code;
    if (!code || !state.today) { state.quality = null; return Promise.resolve(); }
    var to = state.today.date;
    return getJSON('/stations/' + encodeURIComponent(code) + '/quality?from=' + addDays(to, -6) + '&to=' + to)
      .then(function (r) { state.quality = r.data; }, function (e) { failed.quality = true; throw e; });
  }

  function qualityPollutant() {
    return state.today && state.today.metric === 'pm25' ? 'pm25' : 'pm10';
  }

  /* Raw, corrected and the national point's hourly values over the days, with the excluded
   * hours marked: what an official asks first after an interview ("is the station right?"). */
  function qualityChart(q, p) {
    var hours = [];
    (q.days || []).forEach(function (d, di) {
      (d.hours || []).forEach(function (h) { hours.push({x: di * 24 + h.hour, h: h, day: d.date}); });
    });
    var n = Math.max(1, (q.days || []).length * 24);
    var W = 720, H = 220, L = 44, R = 10, T = 10, B = 26;
    var max = 0;
    hours.forEach(function (o) {
      ['raw', 'corrected', 'national'].forEach(function (k) {
        var v = o.h[k] && o.h[k][p];
        if (typeof v === 'number' && v > max) max = v;
      });
    });
    max = max > 0 ? Math.ceil(max / 50) * 50 : 50;
    var X = function (x) { return (L + (W - L - R) * (x + 0.5) / n).toFixed(1); };
    var Y = function (v) { return (T + (H - T - B) * (1 - v / max)).toFixed(1); };
    var svg = sv('svg', {viewBox: '0 0 ' + W + ' ' + H, class: 'qchart', role: 'img',
      'aria-label': t('quality_chart', {name: q.name || q.station, p: p === 'pm25' ? 'PM2.5' : 'PM10',
                                        nat: q.national ? q.national.name || q.national.station : '—'})});
    for (var g = 0; g <= 4; g++) {
      var v = max * g / 4;
      svg.appendChild(sv('line', {x1: L, x2: W - R, y1: Y(v), y2: Y(v), class: 'grid'}));
      var lab = sv('text', {x: L - 6, y: Number(Y(v)) + 4, class: 'axis', 'text-anchor': 'end'});
      lab.textContent = String(Math.round(v));
      svg.appendChild(lab);
    }
    (q.days || []).forEach(function (d, di) {
      var lab = sv('text', {x: X(di * 24 + 11.5), y: H - 8, class: 'axis', 'text-anchor': 'middle'});
      lab.textContent = d.date.slice(5);
      svg.appendChild(lab);
    });
    ['national', 'raw', 'corrected'].forEach(function (k) {
      var d = '', pen = false, prev = null;
      hours.forEach(function (o) {
        var v = o.h[k] && o.h[k][p];
        if (typeof v !== 'number' || (prev !== null && o.x !== prev + 1)) pen = false;
        if (typeof v === 'number') { d += (pen ? 'L' : 'M') + X(o.x) + ' ' + Y(v); pen = true; prev = o.x; }
      });
      if (d) svg.appendChild(sv('path', {d: d, class: 'series series-' + k, 'data-series': k}));
    });
    hours.forEach(function (o) {
      var flags = o.h.flags && o.h.flags[p];
      var v = o.h.raw && o.h.raw[p];
      if (!flags || !flags.length || typeof v !== 'number') return;
      var c = sv('circle', {cx: X(o.x), cy: Y(v), r: 3.5, class: 'qc-flag', 'data-flags': flags.join(' '),
                            'data-day': o.day, 'data-hour': o.h.hour});
      var tip = sv('title');
      tip.textContent = o.day + ' ' + o.h.hour + ':00 ' + flags.map(function (f) { return t('qc_' + f); }).join(t('list_sep'));
      c.appendChild(tip);
      svg.appendChild(c);
    });
    return svg;
  }

  function calibrationTable(q) {
    var cals = q.calibrations || [];
    if (!cals.length) return el('p', {class: 'note'}, t('calib_none'));
    var p = qualityPollutant();
    var heads = [[t('col_version'), 'num'], t('col_reference'), t('col_valid'), t('col_formula'), [t('col_fit'), 'num']];
    return [el('h3', {class: 'sub-h'}, t('calib_h')), table(t('calib_h'), heads, cals.map(function (c) {
      var f = (c.fits || {})[p] || {};
      var rh = f.humidity_form;
      var r = function (x, d) { return typeof x === 'number' ? String(Math.round(x * Math.pow(10, d)) / Math.pow(10, d)) : '—'; };
      var formula = p.toUpperCase() + ' = ' + r(f.a, 2) + ' + ' + r(f.b, 3) + '·raw' +
        (rh ? ' (RH: ' + r(rh.a, 2) + ' + ' + r(rh.b, 3) + '·raw + ' + r(rh.c, 3) + '·RH)' : '');
      return el('tr', {'data-calibration': String(c.id)}, [
        el('td', {class: 'num'}, c.version === null ? t('calib_pending') : 'v' + c.version),
        el('td', null, c.reference),
        el('td', {class: 'time'}, c.valid_from + ' – ' + (f.valid_to || '')),
        el('td', {class: 'formula'}, formula),
        el('td', {class: 'num'}, [num(f.pairs), ' · ', r(f.r2, 3), ' · ', r(f.rmse, 1)])
      ]);
    }), 'calibrations')];
  }

  function renderQuality() {
    var micro = (state.stations || []).filter(function (s) { return s.kind === 'micro' && s.active !== false; });
    var select = el('select', {id: 'quality-station', 'aria-label': t('quality_station')}, micro.map(function (s) {
      var o = el('option', {value: s.code}, (s.name || s.code) + ' ' + s.code);
      if (s.code === state.qualityStation) o.setAttribute('selected', 'selected');
      return o;
    }));
    select.addEventListener('change', function () {
      state.qualityStation = select.value;
      settle(loadQuality()).then(function () { renderQuality(); });
    });
    var q = state.quality;
    if (!q) {
      fill('quality-meta', []);
      fill('quality-body', [micro.length ? select : null, empty(failed.quality ? t('load_error') : t('no_quality'))]);
      return;
    }
    var p = qualityPollutant();
    var cap = q.data_capture_pct && q.data_capture_pct[p];
    metaLine('quality-meta', [
      t('quality_meta', {from: q.from, to: q.to, p: p === 'pm25' ? 'PM2.5' : 'PM10'}),
      t('quality_capture', {v: cap === null || cap === undefined ? '—' : cap + '%'}),
      q.excluded_hours ? t('quality_excluded', {n: q.excluded_hours}) : t('quality_none')
    ]);
    var reasons = {};
    Object.keys(q.counts || {}).forEach(function (f) { if (q.counts[f]) reasons[f] = q.counts[f]; });
    var legend = el('p', {class: 'qlegend'}, [
      el('span', {class: 'key key-raw'}, t('series_raw')), el('span', {class: 'key key-corrected'}, t('series_corrected')),
      el('span', {class: 'key key-national'}, t('series_national') + (q.national ? ' ' + (q.national.name || q.national.station) : '')),
      el('span', {class: 'key key-flag'}, t('series_flagged'))]);
    fill('quality-body', [
      el('div', {class: 'qhead'}, [select, Object.keys(reasons).length ? el('p', {class: 'note qreasons'}, reasonsText(reasons)) : null]),
      el('div', {class: 'qchart-frame'}, qualityChart(q, p)), legend, calibrationTable(q)]);
  }

  /* ------------------------------------------------------------------ the map */

  /* Equirectangular projection around the mean latitude: x = Δlon·cos φ0, y = Δlat, both in
   * km, so a circle of radius r km is a circle of radius r in the same units. */
  function renderMap() {
    var stations = (state.stations || []).filter(function (s) {
      return s.active !== false && typeof s.lat === 'number' && typeof s.lon === 'number';
    });
    var td = state.today;
    var radius = td && typeof td.radius_km === 'number' ? td.radius_km : DEFAULT_RADIUS_KM;
    metaLine('map-meta', [t('map_meta', {r: radius})]);
    if (!state.stations) {
      fill('map-body', empty(failed.stations ? t('load_error') : t('loading')));
      return;
    }
    if (!stations.length) {
      fill('map-body', empty(t('no_stations')));
      return;
    }
    var byCode = {};
    ((td && td.ranking) || []).forEach(function (r) { byCode[r.station] = r; });
    var srcRank = contributorRanks();
    var national = {};
    ((td && td.national) || []).forEach(function (n) { national[n.station] = n; });

    var lat0 = 0;
    stations.forEach(function (s) { lat0 += s.lat; });
    lat0 /= stations.length;
    var k = Math.cos(lat0 * Math.PI / 180);
    var pts = stations.map(function (s) {
      return {s: s, x: s.lon * k * KM_PER_DEG, y: -s.lat * KM_PER_DEG, national: s.kind === 'national'};
    });
    var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    var rings = pts.filter(function (p) { return p.national; });
    var zoomed = mapView.zoom === 'ring' && rings.length > 0;
    /* Zoomed: the rings only (where stations crowd and matter most); else every station. */
    (zoomed ? rings : pts).forEach(function (p) {
      var r = p.national ? radius : 0;
      minX = Math.min(minX, p.x - r); maxX = Math.max(maxX, p.x + r);
      minY = Math.min(minY, p.y - r); maxY = Math.max(maxY, p.y + r);
    });
    var spanX = Math.max(maxX - minX, 0.5), spanY = Math.max(maxY - minY, 0.5);
    var margin = 0.08 * Math.max(spanX, spanY) + 0.3;
    minX -= margin; maxX += margin; minY -= margin; maxY += margin;
    /* a landscape drawing (w:h between 1.15 and 1/0.7) by widening the narrow side around its centre */
    var w = maxX - minX, h = maxY - minY;
    if (h < w * 0.7) { minY -= (w * 0.7 - h) / 2; h = w * 0.7; }
    if (w < h * 1.15) { minX -= (h * 1.15 - w) / 2; w = h * 1.15; }
    var VW = 600, scale = VW / w, VH = Math.round(h * scale);
    function X(x) { return ((x - minX) * scale).toFixed(1); }
    function Y(y) { return ((y - minY) * scale).toFixed(1); }

    var svg = sv('svg', {viewBox: '0 0 ' + VW + ' ' + VH, class: 'map-svg', role: 'img',
                         'aria-labelledby': 'map-title', preserveAspectRatio: 'xMidYMid meet',
                         'data-zoom': zoomed ? 'ring' : 'all'});
    svg.appendChild(sv('title', {id: 'map-title'}, t('map_caption', {r: radius})));
    svg.appendChild(sv('rect', {x: 0, y: 0, width: VW, height: VH, class: 'map-bg'}));

    /* a light 1 km grid */
    var grid = sv('g', {class: 'map-grid', 'aria-hidden': 'true'});
    for (var gx = Math.ceil(minX); gx <= maxX; gx++) {
      grid.appendChild(sv('line', {x1: X(gx), y1: 0, x2: X(gx), y2: VH}));
    }
    for (var gy = Math.ceil(minY); gy <= maxY; gy++) {
      grid.appendChild(sv('line', {x1: 0, y1: Y(gy), x2: VW, y2: Y(gy)}));
    }
    svg.appendChild(grid);

    /* rings under everything */
    pts.forEach(function (p) {
      if (!p.national) return;
      svg.appendChild(sv('circle', {cx: X(p.x), cy: Y(p.y), r: (radius * scale).toFixed(1),
        class: 'ring', 'data-station': p.s.code}, sv('title', null, t('legend_ring', {r: radius}) + ' · ' + (p.s.name || p.s.code))));
    });

    /* the wind at each national point: an arrow from upwind towards the point */
    pts.forEach(function (p) {
      var src = state.sources && state.sources[p.s.code];
      if (!p.national || !src || typeof src.wind !== 'object' || typeof src.wind.mean_direction_deg !== 'number') return;
      svg.appendChild(windArrow(+X(p.x), +Y(p.y), radius * scale, src.wind, p.s.code));
    });

    /* Labels never cover each other or a mark: every mark's box is taken first; then each
     * station (national points first, then those summoned, then by code) takes the first free
     * place of eight around its mark, then of eight farther out with a leader line; failing
     * that its code, in the same places; failing that it is numbered in the list under the
     * map. Names are always on hover. */
    var taken = [];
    function free(b) {
      if (b.x < 0 || b.y < 0 || b.x + b.w > VW || b.y + b.h > VH) return false;
      return !taken.some(function (o) {
        return b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h;
      });
    }
    /* A label's size as the browser will draw it (the drawing scales as a whole, so user units
     * measured unscaled are the drawing's); an estimate where there is no layout. */
    function measure(text, fs, cls) {
      var est = 0;
      for (var i = 0; i < text.length; i++) est += fs * (text.charCodeAt(i) > 0x7f ? 1.0 : 0.62);
      var m = {w: est + 4, ascent: fs, h: fs * 1.3 + 2};
      try {
        if (!measurer) {
          measurer = sv('svg', {width: 1, height: 1, 'aria-hidden': 'true',
            style: 'position:absolute;left:-9999px;top:0;visibility:hidden'});
          document.body.appendChild(measurer);
        }
        var node = sv('text', {x: 0, y: 0, 'font-size': fs, class: cls}, text);
        measurer.appendChild(node);
        var b = node.getBBox();
        measurer.removeChild(node);
        if (b && b.width > 0) m = {w: b.width + 4, ascent: -b.y + 1, h: b.height + 2};
      } catch (e) { /* no layout: keep the estimate */ }
      return m;
    }
    var marks = sv('g', {class: 'marks'});
    var labels = sv('g', {class: 'labels'});
    var leaders = sv('g', {class: 'leaders', 'aria-hidden': 'true'});
    var unlabelled = [];
    var drawn = pts.map(function (p) {
      var cx = +X(p.x), cy = +Y(p.y);
      var inside = cx >= 0 && cy >= 0 && cx <= VW && cy <= VH;
      var half = p.national ? 10 : 8;
      if (inside) taken.push({x: cx - half - 1, y: cy - half - 1, w: 2 * half + 2, h: 2 * half + 2});
      return {p: p, cx: cx, cy: cy, inside: inside};
    });
    /* national points last so they sit on top */
    drawn.slice().sort(function (a, b) { return (a.p.national ? 1 : 0) - (b.p.national ? 1 : 0); }).forEach(function (d) {
      var p = d.p, cx = d.cx, cy = d.cy;
      var row = byCode[p.s.code], color = NO_DATA_COLOR, aqi = null, cat = null;
      if (p.national && national[p.s.code] && national[p.s.code].aqi !== null && national[p.s.code].aqi !== undefined) {
        aqi = national[p.s.code].aqi;
        color = LEVELS[levelOf(aqi)][1];
        cat = t('levels')[levelOf(aqi)];
      } else if (row && row.aqi !== null && row.aqi !== undefined) {
        aqi = row.aqi;
        color = safeColor(row.color);
        cat = row.category;
      }
      d.tip = (p.s.name || p.s.code) + ' (' + p.s.code + ') · ' +
        (p.national ? t('legend_national') : t('legend_micro')) + ' · AQI ' + (aqi === null ? t('no_value') : aqi + (cat ? ' ' + cat : ''));
      d.iv = !!(row && row.interview);
      if (p.national) {
        var sz = 10;
        marks.appendChild(sv('rect', {x: (cx - sz).toFixed(1), y: (cy - sz).toFixed(1), width: 2 * sz, height: 2 * sz,
          class: 'national', fill: color, 'data-station': p.s.code}, sv('title', null, d.tip)));
      } else {
        marks.appendChild(sv('circle', {cx: cx, cy: cy, r: 8, class: 'station' + (d.iv ? ' station-iv' : '') +
          (srcRank[p.s.code] ? ' station-src' : ''), fill: color, 'data-station': p.s.code}, sv('title', null, d.tip)));
        if (srcRank[p.s.code] && d.inside) {
          marks.appendChild(sv('text', {x: (cx + 7).toFixed(1), y: (cy + 17).toFixed(1), class: 'src-rank',
            'data-station': p.s.code}, String(srcRank[p.s.code])));
          taken.push({x: cx + 6, y: cy + 7, w: 10, h: 12}); /* the rank number is not written over */
        }
      }
    });
    function place(d, text, fs, cls) {
      var m = measure(text, fs, cls), tw = m.w, th = m.h;
      for (var ring = 0; ring < 2; ring++) {
        var off = (d.p.national ? 13 : 11) + ring * 22;
        var cands = [
          [off, -th / 2], [-off - tw, -th / 2], [-tw / 2, -off - th], [-tw / 2, off],
          [off * 0.75, -off * 0.75 - th], [off * 0.75, off * 0.75], [-off * 0.75 - tw, -off * 0.75 - th],
          [-off * 0.75 - tw, off * 0.75]
        ];
        for (var i = 0; i < cands.length; i++) {
          var b = {x: d.cx + cands[i][0], y: d.cy + cands[i][1], w: tw, h: th};
          if (free(b)) return {box: b, leader: ring > 0, ascent: m.ascent};
        }
      }
      return null;
    }
    drawn.filter(function (d) { return d.inside; }).sort(function (a, b) {
      return (b.p.national - a.p.national) || (b.iv - a.iv) || (a.p.s.code < b.p.s.code ? -1 : 1);
    }).forEach(function (d) {
      var fs = d.p.national ? 16 : 14;
      var cls = 'label' + (d.p.national ? ' label-national' : '');
      var name = d.p.s.name || d.p.s.code, text = name, spot = place(d, name, fs, cls), short = false;
      if (!spot && name !== d.p.s.code) {
        fs = 12;
        text = d.p.s.code;
        short = true;
        cls += ' label-code';
        spot = place(d, text, fs, cls);
      }
      if (!spot) {
        unlabelled.push(d);
        return;
      }
      taken.push(spot.box);
      if (spot.leader) {
        var lx = Math.max(spot.box.x, Math.min(d.cx, spot.box.x + spot.box.w));
        var ly = Math.max(spot.box.y, Math.min(d.cy, spot.box.y + spot.box.h));
        leaders.appendChild(sv('line', {x1: d.cx, y1: d.cy, x2: lx.toFixed(1), y2: ly.toFixed(1), class: 'leader'}));
      }
      labels.appendChild(sv('g', null, [sv('title', null, d.tip),
        sv('text', {x: (spot.box.x + 2).toFixed(1), y: (spot.box.y + spot.ascent).toFixed(1),
          'text-anchor': 'start', class: cls,
          'font-size': fs, 'data-station': d.p.s.code,
          'data-box': [spot.box.x, spot.box.y, spot.box.w, spot.box.h].map(function (v) { return v.toFixed(1); }).join(' ')},
          text)]));
    });
    svg.appendChild(leaders);
    svg.appendChild(marks);
    svg.appendChild(labels);

    /* scale bar: 1 km, and north */
    var sb = sv('g', {class: 'scalebar', 'aria-hidden': 'true'});
    var bx = 14, by = VH - 16, bl = scale;
    sb.appendChild(sv('rect', {x: bx - 6, y: by - 20, width: bl + 46, height: 28, class: 'scalebar-bg'}));
    sb.appendChild(sv('path', {d: 'M' + bx + ' ' + (by - 5) + 'v5h' + bl.toFixed(1) + 'v-5'}));
    sb.appendChild(sv('text', {x: (bx + bl + 6).toFixed(1), y: by + 1}, '1 km'));
    sb.appendChild(sv('text', {x: VW - 20, y: 26, 'text-anchor': 'middle', class: 'north'}, 'N'));
    sb.appendChild(sv('path', {d: 'M' + (VW - 20) + ' 30l-6 14h12z', class: 'north-arrow'}));
    svg.appendChild(sb);

    var legend = el('ul', {class: 'map-legend'}, [
      el('li', null, [legendIcon('square'), t('legend_national')]),
      el('li', null, [legendIcon('circle'), t('legend_micro')]),
      el('li', null, [legendIcon('ring'), t('legend_ring', {r: radius})]),
      el('li', null, [legendIcon('none'), t('legend_none')])
    ]);
    if (Object.keys(srcRank).length) legend.appendChild(el('li', null, [legendIcon('src'), t('legend_src')]));
    if (svg.querySelector('.wind-arrow')) legend.appendChild(el('li', null, [legendIcon('wind'), t('legend_wind')]));

    var zoom = rings.length ? el('button', {type: 'button', class: 'map-zoom', 'aria-pressed': String(zoomed),
      'data-zoom': zoomed ? 'all' : 'ring'}, zoomed ? t('map_zoom_all') : t('map_zoom_ring', {r: radius})) : null;
    if (zoom) {
      zoom.addEventListener('click', function () {
        mapView.zoom = zoomed ? 'all' : 'ring';
        var q = new URLSearchParams(window.location.search);
        if (mapView.zoom === 'ring') q.set('map', 'ring'); else q.delete('map');
        if (window.history && window.history.replaceState)
          window.history.replaceState(null, '', window.location.pathname + (q.toString() ? '?' + q.toString() : ''));
        renderMap();
      });
    }
    var note = unlabelled.length ? el('p', {class: 'note map-unlabelled'}, [el('strong', null, t('map_unlabelled') + t('colon')),
      unlabelled.map(function (d) { return (d.p.s.name || d.p.s.code) + ' (' + d.p.s.code + ')'; }).join(t('list_sep'))]) : null;
    var blocks = stations.filter(function (s) { return s.kind === 'national' && state.sources && s.code in state.sources; })
      .map(function (s) { return sourcesBlock(s, state.sources[s.code]); });
    fill('map-body', [zoom, el('div', {class: 'map-frame'}, svg), legend, note].concat(blocks));
  }

  /* ------------------------------------------------------------------ where it comes from */

  /* Rank of every likely contributor on the map (the best over the national points). */
  function contributorRanks() {
    var out = {};
    Object.keys(state.sources || {}).forEach(function (code) {
      var src = state.sources[code];
      ((src && src.contributors) || []).slice(0, 3).forEach(function (c) {
        if (!out[c.station] || c.rank < out[c.station]) out[c.station] = c.rank;
      });
    });
    return out;
  }

  function sectorName(c, zhField, enField) { return LANG === 'en' ? c[enField] : c[zhField]; }

  /* A point at angle deg (clockwise from north) and radius r around (cx, cy), screen y down. */
  function polar(cx, cy, r, deg) {
    var a = deg * Math.PI / 180;
    return [cx + r * Math.sin(a), cy - r * Math.cos(a)];
  }

  function windArrow(cx, cy, ringPx, wind, code) {
    var from = polar(cx, cy, Math.max(ringPx * 0.9, 40), wind.mean_direction_deg);
    var to = polar(cx, cy, 16, wind.mean_direction_deg);
    var tip = 'M' + to[0].toFixed(1) + ' ' + to[1].toFixed(1);
    var back = polar(to[0], to[1], 12, wind.mean_direction_deg - 25), back2 = polar(to[0], to[1], 12, wind.mean_direction_deg + 25);
    var dir = sectorName(wind, 'mean_sector_zh', 'mean_sector');
    return sv('g', {class: 'wind-arrow', 'data-station': code, 'data-direction': wind.mean_direction_deg}, [
      sv('title', null, t('src_wind_from', {dir: dir, speed: wind.mean_speed_ms})),
      sv('line', {x1: from[0].toFixed(1), y1: from[1].toFixed(1), x2: to[0].toFixed(1), y2: to[1].toFixed(1)}),
      sv('path', {d: tip + 'L' + back[0].toFixed(1) + ' ' + back[1].toFixed(1) + 'L' + back2[0].toFixed(1) + ' ' +
        back2[1].toFixed(1) + 'Z'})
    ]);
  }

  var SPEED_COLORS = ['#c6dbef', '#6baed6', '#2171b5', '#08306b'];

  /* The concentration-weighted rose of the analysed pollutant: petals by sector, stacked by
   * wind-speed class, length by share of the window's total; calm in the middle. */
  function roseSvg(src) {
    var rose = src.rose[src.pollutant];
    var label = src.pollutant === 'pm25' ? 'PM2.5' : 'PM10';
    var S = 240, C = S / 2, R = 86;
    var maxShare = 0;
    rose.sectors.forEach(function (sec) { if (sec.share > maxShare) maxShare = sec.share; });
    var dom = rose.dominant_sector ? sectorName(rose, 'dominant_sector_zh', 'dominant_sector') : '—';
    var svg = sv('svg', {viewBox: '0 0 ' + S + ' ' + S, class: 'rose-svg', role: 'img', 'data-station': src.station});
    svg.appendChild(sv('title', null, t('src_rose_caption', {p: label, n: rose.hours - rose.calm.hours, dom: dom})));
    [0.5, 1].forEach(function (f) {
      svg.appendChild(sv('circle', {cx: C, cy: C, r: (R * f).toFixed(1), class: 'rose-grid'}));
    });
    var zhCompass = {0: '北', 90: '东', 180: '南', 270: '西'}, enCompass = {0: 'N', 90: 'E', 180: 'S', 270: 'W'};
    [0, 90, 180, 270].forEach(function (deg) {
      var at = polar(C, C, R + 14, deg);
      svg.appendChild(sv('text', {x: at[0].toFixed(1), y: (at[1] + 5).toFixed(1), 'text-anchor': 'middle', class: 'rose-compass'},
        LANG === 'en' ? enCompass[deg] : zhCompass[deg]));
    });
    var names = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'];
    var zhNames = (src.sectors || []).map(function (x) { return x.sector_zh; });
    rose.sectors.forEach(function (sec, k) {
      if (!sec.hours || !maxShare) return;
      var a0 = 22.5 * k - 10, a1 = 22.5 * k + 10, cum = 0;
      var g = sv('g', {class: 'petal', 'data-sector': names[k], 'data-share': sec.share}, sv('title', null,
        t('src_petal', {sector: LANG === 'en' ? names[k] : zhNames[k], h: sec.hours, mean: sec.mean,
                        share: Math.round(sec.share * 1000) / 10, cpf: sec.cpf})));
      sec.speed.forEach(function (cell, c) {
        if (!cell.share) return;
        var r0 = R * cum / maxShare, r1 = R * (cum + cell.share) / maxShare;
        cum += cell.share;
        var o0 = polar(C, C, r1, a0), o1 = polar(C, C, r1, a1), i0 = polar(C, C, r0, a0), i1 = polar(C, C, r0, a1);
        var d = 'M' + i0[0].toFixed(1) + ' ' + i0[1].toFixed(1) + 'L' + o0[0].toFixed(1) + ' ' + o0[1].toFixed(1) +
          'A' + r1.toFixed(1) + ' ' + r1.toFixed(1) + ' 0 0 1 ' + o1[0].toFixed(1) + ' ' + o1[1].toFixed(1) +
          'L' + i1[0].toFixed(1) + ' ' + i1[1].toFixed(1) +
          (r0 > 0 ? 'A' + r0.toFixed(1) + ' ' + r0.toFixed(1) + ' 0 0 0 ' + i0[0].toFixed(1) + ' ' + i0[1].toFixed(1) : '') + 'Z';
        g.appendChild(sv('path', {d: d, fill: SPEED_COLORS[c], class: 'petal-speed'}));
      });
      svg.appendChild(g);
    });
    if (rose.calm.hours) {
      svg.appendChild(sv('circle', {cx: C, cy: C, r: 6, class: 'rose-calm'},
        sv('title', null, t('src_calm', {n: rose.calm.hours, s: Math.round((rose.calm.share || 0) * 1000) / 10}))));
    }
    return svg;
  }

  function speedLegend(src) {
    var classes = (src.method && src.method.speed_classes_ms) || [];
    return el('ul', {class: 'rose-legend'}, [el('li', {class: 'rose-legend-title'}, t('src_speed'))].concat(
      classes.map(function (c, i) {
        return el('li', null, [el('span', {class: 'swatch', style: {'background-color': SPEED_COLORS[i]}}),
          c[1] === null ? '≥ ' + c[0] + ' m/s' : c[0] + '–' + c[1] + ' m/s']);
      })));
  }

  function pct(v) { return v === null || v === undefined ? '—' : String(Math.round(v)); }

  function sourcesBlock(point, src) {
    var head = el('h3', {class: 'sub-h'}, t('src_h', {name: point.name || point.code}));
    if (!src) return el('div', {class: 'sources', 'data-station': point.code}, [head, empty(t('src_error'))]);
    var rose = src.rose[src.pollutant];
    var label = src.pollutant === 'pm25' ? 'PM2.5' : 'PM10';
    var lines = [el('p', {class: 'meta'}, t('src_rose', {p: label, from: shortTime(src.from), to: shortTime(src.to)}))];
    if (typeof src.wind === 'object') {
      lines.push(el('p', {class: 'meta'}, t('src_wind', {dir: sectorName(src.wind, 'mean_sector_zh', 'mean_sector') || '—',
        speed: src.wind.mean_speed_ms, n: src.wind.hours, calm: src.wind.calm_hours})));
      if (rose.dominant_sector) {
        lines.push(el('p', {class: 'src-dom'}, t('src_dom', {dom: sectorName(rose, 'dominant_sector_zh', 'dominant_sector')})));
      }
    }
    if (src.ranking === 'correlation_only') {
      lines.push(el('p', {class: 'notice src-note'}, t(typeof src.wind === 'object' ? 'src_all_calm' : 'src_no_wind')));
    }
    var list = (src.contributors || []).slice(0, 3);
    var items = list.map(function (c) {
      var vars = {name: c.name || c.station, code: c.station, sector: sectorName(c, 'sector_zh', 'sector'),
                  km: c.distance_km, up: c.upwind_hours, lag: c.best_lag_h, r: c.best_r, pct: pct(c.excess_pct)};
      return el('li', {'data-station': c.station, 'data-rank': c.rank, title: LANG === 'en' ? c.why : c.why_zh},
        t(src.ranking === 'correlation_only' ? 'src_item_corr' : 'src_item', vars));
    });
    var body = [el('div', {class: 'rose-frame'}, [roseSvg(src), speedLegend(src)]),
                el('div', {class: 'src-text'}, lines.concat([
                  items.length ? el('ol', {class: 'src-list'}, items) : empty(t('src_none'))]))];
    return el('div', {class: 'sources', 'data-station': point.code}, [head, el('div', {class: 'src-row'}, body)]);
  }

  /* "2017-12-07T15:00:00+08:00" → "12-07 15:00" */
  function shortTime(s) { return typeof s === 'string' && s.length >= 16 ? s.slice(5, 10) + ' ' + s.slice(11, 16) : '—'; }

  function legendIcon(kind) {
    var s = sv('svg', {width: 16, height: 16, viewBox: '0 0 16 16', 'aria-hidden': 'true', class: 'legend-icon'});
    if (kind === 'square') s.appendChild(sv('rect', {x: 2, y: 2, width: 12, height: 12, class: 'lg-national', fill: '#fff'}));
    else if (kind === 'circle') s.appendChild(sv('circle', {cx: 8, cy: 8, r: 5.5, class: 'lg-station', fill: '#fff'}));
    else if (kind === 'ring') s.appendChild(sv('circle', {cx: 8, cy: 8, r: 6.5, class: 'lg-ring'}));
    else if (kind === 'src') s.appendChild(sv('circle', {cx: 8, cy: 8, r: 5.5, class: 'lg-station lg-src', fill: '#fff'}));
    else if (kind === 'wind') s.appendChild(sv('path', {d: 'M1 8h10M15 8l-5 -4v8z', class: 'lg-wind'}));
    else s.appendChild(sv('circle', {cx: 8, cy: 8, r: 5.5, class: 'lg-station', fill: NO_DATA_COLOR}));
    return s;
  }

  function renderLegend() {
    var levels = t('levels');
    fill('aqi-legend', [el('span', {class: 'legend-title'}, 'AQI')].concat(LEVELS.map(function (l, i) {
      var lo = i === 0 ? 0 : LEVELS[i - 1][0] + 1;
      var range = l[0] === Infinity ? '>' + LEVELS[i - 1][0] : lo + '–' + l[0];
      return el('span', {class: 'legend-item'}, [
        el('span', {class: 'swatch', style: {'background-color': l[1], color: inkOn(l[1])}}, range),
        levels[i]]);
    })));
  }

  /* One part failing to render must not blank the others. */
  function renderAll() {
    [renderKpis, renderToday, renderMap, renderAlerts, renderInterviews, renderLatest, renderPeriods, renderSummary,
     renderQuality]
      .forEach(function (fn) {
        try { fn(); } catch (e) { if (window.console) console.error('render', e); }
      });
  }

  /* ------------------------------------------------------------------ updating */

  var connState = 'connecting';

  function setConn(s) {
    connState = s;
    var node = $('conn');
    node.className = 'conn conn-' + s;
    $('conn-text').textContent = t('conn_' + s);
  }

  /* A part's load as true (loaded) or false (failed; its section says so and keeps trying). */
  function settle(promise) {
    return promise.then(function () { return true; }, function () { return false; });
  }

  function afterFetch(results) {
    var ok = results.some(Boolean);
    if (results.every(Boolean)) markUpdated();
    if (!ok) setConn('down');
    else if (connState === 'down') setConn(STREAM ? (es && es.readyState === 1 ? 'live' : 'reconnecting') : 'polling');
  }

  function refreshAll() {
    return Promise.all([settle(loadToday()), settle(loadStations()), settle(loadAlerts()), settle(loadFinal())])
      .then(function (res) {
        /* The day view of the assessment ranking needs the latest final day first. */
        return settle(loadPeriod()).then(function (ok) { return res.concat([ok]); });
      })
      .then(function (res) {
        return loadSources().then(function () { return res; });
      })
      .then(function (res) {
        /* The quality panel's station depends on today's ranking and the station list. */
        return settle(loadQuality()).then(function () { return res; });
      })
      .then(function (res) {
        renderAll();
        afterFetch(res);
        document.body.setAttribute('data-ready', 'true');
      });
  }

  function refreshToday() {
    return settle(loadToday().then(function (r) {
      if (r.dateChanged) return refreshAll();   /* a new day: yesterday may be final now */
      if (r.changed) {
        renderToday(); renderMap(); renderKpis();
        return loadSources().then(renderMap);   /* new data: the sources moved too */
      }
      return null;
    })).then(function (ok) { afterFetch([ok]); });
  }

  function refreshAlerts() {
    return settle(loadAlerts().then(function () { renderAlerts(); renderKpis(); }))
      .then(function (ok) { afterFetch([ok]); });
  }

  /* Coalesce bursts of events into one fetch per part. */
  var timers = {};
  function soon(name, fn) {
    if (timers[name]) return;
    timers[name] = setTimeout(function () { timers[name] = null; fn(); }, 300);
  }

  var es = null;
  function connectStream() {
    es = new EventSource(API + '/events');
    es.addEventListener('open', function () {
      var wasDown = connState !== 'live' && connState !== 'connecting';
      setConn('live');
      if (wasDown) soon('all', refreshAll);   /* events may have been missed while away */
    });
    es.addEventListener('error', function () {
      setConn(es.readyState === 2 ? 'down' : 'reconnecting');
      if (es.readyState === 2) setTimeout(connectStream, 10000);
    });
    es.addEventListener('ranking', function (e) {
      var data = null;
      try { data = JSON.parse(e.data); } catch (err) { data = null; }
      /* a new day: yesterday may be final now; otherwise a cheap revalidation (304 if unchanged) */
      if (data && state.today && data.date && data.date !== state.today.date) soon('all', refreshAll);
      else soon('today', refreshToday);
    });
    es.addEventListener('alert', function () { soon('alerts', refreshAlerts); });
  }

  function applyLabels() {
    document.documentElement.lang = LANG === 'en' ? 'en' : 'zh-CN';
    document.title = t('doc_title');
    Array.prototype.forEach.call(document.querySelectorAll('[data-i18n]'), function (node) {
      node.textContent = t(node.getAttribute('data-i18n'));
    });
    var sw = $('lang-switch');
    var p = new URLSearchParams(window.location.search);
    if (LANG === 'en') p.delete('lang'); else p.set('lang', 'en');
    var qs = p.toString();
    sw.setAttribute('href', window.location.pathname + (qs ? '?' + qs : ''));
    sw.setAttribute('hreflang', LANG === 'en' ? 'zh-CN' : 'en');
    sw.setAttribute('lang', LANG === 'en' ? 'zh-CN' : 'en');
    sw.textContent = t('lang_switch');
  }

  function start() {
    applyLabels();
    setupTokenForm();
    renderLegend();
    setConn(STREAM ? 'connecting' : 'polling');
    refreshAll();
    if (STREAM) connectStream();
    setInterval(refreshToday, POLL_MS);
    setInterval(refreshAll, FULL_MS);
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible') soon('all', refreshAll);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}());
