export default {
  en: {
    filter: {
      label: 'Label selector',
      placeholder: 'Filter by labels, e.g. app=web,tier in (frontend),!canary',
      clear: 'Clear the filter',
      suggestions: 'Label suggestions',
      pods: '{n} pods | {n} pod | {n} pods',
      workloads: '{n} workloads | {n} workload | {n} workloads',
      suggestionCount: 'used by {count}',
      chips: { list: 'Labels', add: 'Add {label} to the filter' },
    },
  },
  zh: {
    filter: {
      label: '标签选择器',
      placeholder: '按标签筛选，例如 app=web,tier in (frontend),!canary',
      clear: '清除筛选',
      suggestions: '标签建议',
      pods: '{n} 个 Pod',
      workloads: '{n} 个工作负载',
      suggestionCount: '{count} 个对象使用',
      chips: { list: '标签', add: '将 {label} 加入筛选' },
    },
  },
};
