package model

import (
	"testing"
	"time"
)

func BenchmarkDiagnose(b *testing.B) {
	acc := base(withFactors(FactorPhone, FactorTOTP, FactorRecoveryCode),
		withResets(reset("r1", 3*time.Hour, ResetDelivered), reset("r2", 30*time.Minute, ResetDelivered)), visitIn(10*time.Minute))
	r := rep(SitePatient, ProblemResetLinkFailed)
	for b.Loop() {
		Diagnose(acc, r, now)
	}
}
