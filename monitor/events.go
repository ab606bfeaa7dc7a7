package monitor

// Event channel names, as Sentinel publishes them (the event and its
// channel are the same string). Every event the core emits uses one of
// these; consumers (notify, metrics) match on them rather than on literals.
const (
	EventConfigUpdateFrom              = "+config-update-from"
	EventConvertToSlave                = "+convert-to-slave"
	EventDiscoveryLimit                = "+discovery-limit"
	EventElectedLeader                 = "+elected-leader"
	EventFailoverAbortNoGoodSlave      = "-failover-abort-no-good-slave"
	EventFailoverAbortMasterRefused    = "-failover-abort-master-refused"
	EventFailoverAbortNotElected       = "-failover-abort-not-elected"
	EventFailoverAbortSlaveTimeout     = "-failover-abort-slave-timeout"
	EventFailoverEnd                   = "+failover-end"
	EventFailoverEndForTimeout         = "+failover-end-for-timeout"
	EventFailoverStateReconfSlaves     = "+failover-state-reconf-slaves"
	EventFailoverStateSelectSlave      = "+failover-state-select-slave"
	EventFailoverStateSendSlaveOfNoOne = "+failover-state-send-slaveof-noone"
	EventFailoverStateWaitPromotion    = "+failover-state-wait-promotion"
	EventFixSlaveConfig                = "+fix-slave-config"
	EventForgetReplica                 = "+forget-slave"    // ours: a replica down longer than forget-after was forgotten
	EventForgetSentinel                = "+forget-sentinel" // ours: the same for a sentinel
	EventMonitor                       = "+monitor"
	EventMonitorRemoved                = "-monitor"
	EventNewEpoch                      = "+new-epoch"
	EventODown                         = "+odown"
	EventODownCleared                  = "-odown"
	EventPromotedSlave                 = "+promoted-slave"
	EventReboot                        = "+reboot"
	EventResetMaster                   = "+reset-master"
	// The reported role matches / differs from the configured one.
	EventRoleMatchesConfig         = "+role-change"
	EventRoleDiffersFromConfig     = "-role-change"
	EventSDown                     = "+sdown"
	EventSDownCleared              = "-sdown"
	EventSelectedSlave             = "+selected-slave"
	EventSentinel                  = "+sentinel"
	EventSentinelAddressSwitch     = "+sentinel-address-switch"
	EventSentinelAddressUpdate     = "+sentinel-address-update"
	EventSentinelInvalidAddr       = "+sentinel-invalid-addr"
	EventSet                       = "+set"
	EventSlave                     = "+slave"
	EventSlaveReconfDone           = "+slave-reconf-done"
	EventSlaveReconfInProg         = "+slave-reconf-inprog"
	EventSlaveReconfSent           = "+slave-reconf-sent"
	EventSlaveReconfSentBestEffort = "+slave-reconf-sent-be"
	EventSlaveReconfSentTimeout    = "-slave-reconf-sent-timeout"
	EventSwitchMaster              = "+switch-master"
	EventTilt                      = "+tilt"
	EventTiltExited                = "-tilt"
	EventTryFailover               = "+try-failover"
	EventVoteForLeader             = "+vote-for-leader"
)
