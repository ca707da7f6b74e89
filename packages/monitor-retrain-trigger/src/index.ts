// MonitorRetrainTrigger: exports are added as the construct lands.
export {};
