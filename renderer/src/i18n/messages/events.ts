export default {
  en: {
    events: {
      title: 'Events',
      typeFilter: 'Event type',
      types: { all: 'All', Normal: 'Normal', Warning: 'Warning' },
      search: 'Search reason, object, message…',
      count: '{n} events | {n} event | {n} events',
      none: 'No events yet. The scheduler, controllers and node agents report here as they work.',
      noneMatch: 'No events match the filters.',
      columns: { time: 'Last seen', type: 'Type', reason: 'Reason', object: 'Object', message: 'Message', count: 'Count', source: 'Source' },
    },
  },
  zh: {
    events: {
      title: '事件',
      typeFilter: '事件类型',
      types: { all: '全部', Normal: '正常', Warning: '警告' },
      search: '搜索原因、对象、消息…',
      count: '{n} 条事件',
      none: '暂无事件。调度器、控制器和节点代理工作时会在这里报告。',
      noneMatch: '没有符合筛选条件的事件。',
      columns: { time: '最近发生', type: '类型', reason: '原因', object: '对象', message: '消息', count: '次数', source: '来源' },
    },
  },
};
