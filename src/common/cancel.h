// CancelToken: a thread-safe "stop now" signal with a reason, shared by the
// code that decides to stop (a signal handler thread, later `ctlflow cancel`)
// and the code that must stop (running attempts, the executor loop).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace ctlflow {

class CancelToken {
 public:
  // The first reason wins; later calls do nothing.
  // Callbacks run under the token's lock, so an Unsubscribe that returns
  // guarantees its callback is not running and will not run: the subscriber
  // may then be destroyed. Callbacks must be quick and must not call into
  // this token.
  void Cancel(const std::string& reason) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    reason_ = reason;
    for (auto& [id, fn] : callbacks_) fn();
  }

  bool cancelled() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_;
  }

  std::string reason() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reason_;
  }

  // Runs fn on Cancel (at once if already cancelled). Returns an id for
  // Unsubscribe.
  int Subscribe(std::function<void()> fn) {
    int id;
    bool now;
    {
      std::lock_guard<std::mutex> lock(mu_);
      id = next_id_++;
      now = cancelled_;
      if (!now) callbacks_[id] = fn;
    }
    if (now) fn();
    return id;
  }

  void Unsubscribe(int id) {
    std::lock_guard<std::mutex> lock(mu_);
    callbacks_.erase(id);
  }

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::string reason_;
  int next_id_ = 1;
  std::map<int, std::function<void()>> callbacks_;
};

// Unsubscribes when it goes out of scope.
class CancelSubscription {
 public:
  CancelSubscription(CancelToken* token, std::function<void()> fn)
      : token_(token), id_(token ? token->Subscribe(std::move(fn)) : 0) {}
  ~CancelSubscription() {
    if (token_) token_->Unsubscribe(id_);
  }
  CancelSubscription(const CancelSubscription&) = delete;
  CancelSubscription& operator=(const CancelSubscription&) = delete;

 private:
  CancelToken* token_;
  int id_;
};

}  // namespace ctlflow
