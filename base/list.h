// SPDX-License-Identifier: GPL-2.0
// Intrusive singly-headed doubly-linked lists (the kernel's hlist), with RCU
// variants: writers serialise among themselves (the datapath lock); readers
// traverse under rcu_read_lock with the *_rcu iteration. The link lives in the
// object, so insertion never allocates and one object can sit in several lists.
#pragma once

#include "base/atomic.h"
#include "base/util.h"

namespace ovsdp {

struct HListNode {
    HListNode* next = nullptr;
    HListNode** pprev = nullptr;

    bool unhashed() const { return pprev == nullptr; }
};

struct HListHead {
    HListNode* first = nullptr;

    bool empty() const { return read_once(first) == nullptr; }

    // Writer side. add_head_rcu publishes n to concurrent RCU readers.
    void add_head_rcu(HListNode* n)
    {
        HListNode* f = first;
        n->next = f;
        n->pprev = &first;
        rcu_assign(first, n);
        if (f)
            f->pprev = &n->next;
    }
    void add_head(HListNode* n)
    {
        n->next = first;
        n->pprev = &first;
        if (first)
            first->pprev = &n->next;
        first = n;
    }
};

// Unlink n. Readers already on n can still follow n->next, so n must not be
// freed before a grace period; pprev is cleared so unhashed() reports it.
inline void hlist_del_rcu(HListNode* n)
{
    HListNode* next = n->next;
    HListNode** pprev = n->pprev;
    write_once(*pprev, next);
    if (next)
        next->pprev = pprev;
    n->pprev = nullptr;
}

// Replace old with n in place, for readers too.
inline void hlist_replace_rcu(HListNode* old, HListNode* n)
{
    HListNode* next = old->next;
    n->next = next;
    n->pprev = old->pprev;
    rcu_assign(*n->pprev, n);
    if (next)
        next->pprev = &n->next;
    old->pprev = nullptr;
}

// for (T* obj : hlist_rcu_range(&head, &T::member)) — under rcu_read_lock or
// the writer's lock.
template <typename T>
class HListRange {
public:
    HListRange(const HListHead* head, HListNode T::*member) : head_(head), member_(member) {}

    class Iterator {
    public:
        Iterator(HListNode* n, HListNode T::*member) : node_(n), member_(member) {}
        T* operator*() const { return container_of(node_, member_); }
        Iterator& operator++()
        {
            node_ = rcu_deref(node_->next);
            return *this;
        }
        bool operator!=(const Iterator& o) const { return node_ != o.node_; }

    private:
        HListNode* node_;
        HListNode T::*member_;
    };

    Iterator begin() const { return { rcu_deref(head_->first), member_ }; }
    Iterator end() const { return { nullptr, member_ }; }

private:
    const HListHead* head_;
    HListNode T::*member_;
};

template <typename T>
HListRange<T> hlist_range(const HListHead* head, HListNode T::*member) { return { head, member }; }

// Intrusive circular doubly-linked list (the kernel's list_head), writer-only.
struct ListNode {
    ListNode* next = this;
    ListNode* prev = this;

    bool empty() const { return next == this; }
    void add_tail(ListNode* n)
    {
        n->prev = prev;
        n->next = this;
        prev->next = n;
        prev = n;
    }
    void add_head(ListNode* n)
    {
        n->next = next;
        n->prev = this;
        next->prev = n;
        next = n;
    }
    void del()
    {
        prev->next = next;
        next->prev = prev;
        next = prev = this;
    }
};

} // namespace ovsdp
