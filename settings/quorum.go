package settings

// MinQuorum is the smallest quorum a master may have.
const MinQuorum = 1

// quorumText is Redis's reply to SENTINEL MONITOR or SET with a quorum
// below MinQuorum.
const quorumText = "Quorum must be 1 or greater."

// quorumError is CheckQuorum's error; RESPError gives the RESP server the
// reply with its code.
type quorumError struct{}

func (quorumError) Error() string     { return quorumText }
func (quorumError) RESPError() string { return "ERR " + quorumText }

// CheckQuorum is the one rule for a quorum, wherever it comes from:
// SENTINEL MONITOR and SET (the RESP server's door and the core) and both
// file formats (configs.Validate).
func CheckQuorum(q int64) error {
	if q < MinQuorum {
		return quorumError{}
	}
	return nil
}
